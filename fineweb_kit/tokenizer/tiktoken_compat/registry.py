"""tiktoken's named encodings, loaded offline from rank files.

Where a rank file is looked for, in order:

1. ``$FINEWEB_KIT_TIKTOKEN_DIR/<file>`` (e.g. ``cl100k_base.tiktoken``; for ``gpt2`` also
   ``encoder.json``, the GPT-2 "data gym" vocabulary);
2. tiktoken's own cache: ``$TIKTOKEN_CACHE_DIR``, else ``$DATA_GYM_CACHE_DIR``, else
   ``<tmp>/data-gym-cache``, file named by the SHA-1 of the file's public URL (what tiktoken
   wrote there when it downloaded it).

Nothing is ever downloaded. Every file is checked against the SHA-256 tiktoken pins.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from fineweb_kit.exceptions import TokenizerError
from fineweb_kit.tokenizer.core import Tokenizer
from fineweb_kit.tokenizer.tiktoken_compat.encoding import Encoding

ENV_DIR = "FINEWEB_KIT_TIKTOKEN_DIR"
_BLOB = "https://openaipublic.blob.core.windows.net"
ENDOFTEXT = "<|endoftext|>"
FIM = {"<|fim_prefix|>": 0, "<|fim_middle|>": 1, "<|fim_suffix|>": 2}


@dataclass(frozen=True)
class RankFile:
    """A published rank file: its name, URL (tiktoken's cache key) and pinned SHA-256."""

    name: str
    url: str
    sha256: str


@dataclass(frozen=True)
class EncodingDef:
    """What ``get_encoding(name)`` builds: ranks + pattern + specials."""

    name: str
    ranks: RankFile
    pattern: str  # a pattern name the Rust core knows (its built-in scanner)
    specials: dict[str, int] = field(default_factory=dict)
    n_vocab: int | None = None


def _rank_file(stem: str, sha256: str) -> RankFile:
    return RankFile(f"{stem}.tiktoken", f"{_BLOB}/encodings/{stem}.tiktoken", sha256)


R50K = _rank_file("r50k_base", "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930")
P50K = _rank_file("p50k_base", "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069")
CL100K = _rank_file(
    "cl100k_base", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
)
O200K = _rank_file("o200k_base", "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d")
GPT2_ENCODER_JSON = RankFile(
    "encoder.json",
    f"{_BLOB}/gpt-2/encodings/main/encoder.json",
    "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
)


def _harmony_specials() -> dict[str, int]:
    named = {
        "<|startoftext|>": 199998,
        ENDOFTEXT: 199999,
        "<|return|>": 200002,
        "<|constrain|>": 200003,
        "<|channel|>": 200005,
        "<|start|>": 200006,
        "<|end|>": 200007,
        "<|message|>": 200008,
        "<|call|>": 200012,
        "<|endofprompt|>": 200018,
    }
    early = {f"<|reserved_{i}|>": i for i in (200000, 200001, 200004, 200009, 200010, 200011)}
    # as in tiktoken, <|reserved_200018|> shares its id with <|endofprompt|>
    return named | early | {f"<|reserved_{i}|>": i for i in range(200013, 201088)}


ENCODINGS: dict[str, EncodingDef] = {
    d.name: d
    for d in (
        EncodingDef("gpt2", R50K, "r50k_base", {ENDOFTEXT: 50256}, 50257),
        EncodingDef("r50k_base", R50K, "r50k_base", {ENDOFTEXT: 50256}, 50257),
        EncodingDef("p50k_base", P50K, "p50k_base", {ENDOFTEXT: 50256}, 50281),
        EncodingDef(
            "p50k_edit",
            P50K,
            "p50k_base",
            {ENDOFTEXT: 50256} | {k: 50281 + i for k, i in FIM.items()},
        ),
        EncodingDef(
            "cl100k_base",
            CL100K,
            "cl100k_base",
            {ENDOFTEXT: 100257}
            | {k: 100258 + i for k, i in FIM.items()}
            | {"<|endofprompt|>": 100276},
        ),
        EncodingDef(
            "o200k_base", O200K, "o200k_base", {ENDOFTEXT: 199999, "<|endofprompt|>": 200018}
        ),
        EncodingDef("o200k_harmony", O200K, "o200k_base", _harmony_specials()),
    )
}
"""Every encoding ``get_encoding`` knows, with tiktoken's ids for its special tokens."""

_lock = threading.RLock()
_loaded: dict[str, Encoding] = {}


def _tiktoken_cache_dir() -> Path | None:
    for var in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"):
        if var in os.environ:
            return Path(os.environ[var]) if os.environ[var] else None
    return Path(tempfile.gettempdir()) / "data-gym-cache"


def _candidates(f: RankFile) -> list[Path]:
    found = []
    if os.environ.get(ENV_DIR):
        found.append(Path(os.environ[ENV_DIR]) / f.name)
    cache = _tiktoken_cache_dir()
    if cache is not None:
        found.append(cache / hashlib.sha1(f.url.encode()).hexdigest())
    return found


def read_rank_file(f: RankFile) -> tuple[Path, bytes] | None:
    """The first candidate file that exists, checked against its pinned SHA-256."""
    for path in _candidates(f):
        if path.is_file():
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() != f.sha256:
                raise TokenizerError(
                    f"{path}: not the published {f.name} (SHA-256 differs from tiktoken's "
                    f"{f.sha256[:12]}...); replace the file"
                )
            return path, data
    return None


def _ranks_from_encoder_json(data: bytes) -> dict[bytes, int]:
    """GPT-2's data-gym ``encoder.json``: byte-to-unicode-mapped strings -> ids (= ranks)."""
    printable = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    to_byte = {chr(b): b for b in printable}
    shift = 0
    for b in range(256):
        if b not in to_byte.values():
            to_byte[chr(256 + shift)] = b
            shift += 1
    vocab = json.loads(data)
    vocab.pop(ENDOFTEXT, None)
    vocab.pop("<|startoftext|>", None)
    return {bytes(to_byte[ch] for ch in token): rank for token, rank in vocab.items()}


def _load_tokenizer(d: EncodingDef) -> Tokenizer:
    first_name = {id_: token for token, id_ in reversed(d.specials.items())}
    specials = {token: id_ for id_, token in first_name.items()}  # aliases stay in the Encoding
    got = read_rank_file(d.ranks)
    if got is not None:
        return Tokenizer.from_tiktoken(got[0], d.pattern, specials)
    if d.name == "gpt2":
        got = read_rank_file(GPT2_ENCODER_JSON)
        if got is not None:
            return Tokenizer.from_ranks(_ranks_from_encoder_json(got[1]), d.pattern, specials)
    places = ", ".join(str(p) for p in _candidates(d.ranks)) or "(no place configured)"
    raise TokenizerError(
        f"encoding {d.name!r}: rank file {d.ranks.name} not found (looked in {places}); "
        f"set {ENV_DIR} to a folder holding {d.ranks.name} (nothing is downloaded)"
    )


def _build(d: EncodingDef) -> Encoding:
    tok = _load_tokenizer(d)
    return Encoding.from_tokenizer(d.name, tok, dict(d.specials), d.n_vocab, registered=True)


def get_encoding(encoding_name: str) -> Encoding:
    """The named encoding (built once per process, then shared), like ``tiktoken.get_encoding``."""
    if not isinstance(encoding_name, str):
        raise ValueError(f"Expected a string in get_encoding, got {type(encoding_name)}")
    enc = _loaded.get(encoding_name)
    if enc is not None:
        return enc
    with _lock:
        if encoding_name not in _loaded:
            d = ENCODINGS.get(encoding_name)
            if d is None:
                raise ValueError(
                    f"Unknown encoding {encoding_name}. Known encodings: {list_encoding_names()}"
                )
            _loaded[encoding_name] = _build(d)
        return _loaded[encoding_name]


def list_encoding_names() -> list[str]:
    """Names ``get_encoding`` accepts."""
    return list(ENCODINGS)


def is_registered(enc: Encoding) -> bool:
    """Whether ``enc`` is the shared instance ``get_encoding(enc.name)`` returns."""
    return _loaded.get(enc.name) is enc
