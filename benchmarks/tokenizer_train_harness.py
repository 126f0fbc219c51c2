"""Training benchmark: each trainer runs in a fresh subprocess, so its peak memory
(``ru_maxrss``) is its own. Every subprocess loads the same documents the same way first.

Run as a module (``python -m benchmarks.tokenizer_train_harness TRAINER CORPUS VOCAB OUT``)
by :func:`measure_training`; prints one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TRAINERS = ("fineweb-kit", "rustbpe", "hf-tokenizers", "sentencepiece")
PATTERN = "o200k_base"


def load_docs(corpus_list: str) -> list[str]:
    """Documents (blank-line separated) of the files listed one per line in ``corpus_list``."""
    from benchmarks.tokenizer_harness import read_docs

    return read_docs(Path(corpus_list).read_text().split("\n"))


def _train(name: str, docs: list[str], vocab: int, out: Path) -> None:
    """Trains with ``name``; writes the trained model's files under ``out``."""
    from fineweb_kit.tokenizer import Tokenizer, train_bpe

    if name == "fineweb-kit":
        train_bpe(docs, vocab, pattern=PATTERN, special_tokens=()).save(out / "tok.json")
    elif name == "rustbpe":
        import rustbpe

        pat = Tokenizer.from_ranks({bytes([b]): b for b in range(256)}, PATTERN).pattern
        t = rustbpe.Tokenizer()
        t.train_from_iterator(docs, vocab, pattern=pat)
        ranks = {bytes(b): r for b, r in t.get_mergeable_ranks()}
        Tokenizer.from_ranks(ranks, PATTERN).save(out / "tok.json")
    elif name == "hf-tokenizers":
        from tokenizers import Regex, models, pre_tokenizers, trainers
        from tokenizers import Tokenizer as HfTokenizer

        pat = Tokenizer.from_ranks({bytes([b]): b for b in range(256)}, PATTERN).pattern
        hf = HfTokenizer(models.BPE())
        hf.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(pat), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
        trainer = trainers.BpeTrainer(
            vocab_size=vocab,
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
        hf.train_from_iterator(docs, trainer=trainer)
        hf.save(str(out / "tokenizer.json"))
    elif name == "sentencepiece":
        import sentencepiece as spm

        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(docs),
            model_prefix=str(out / "sp"),
            vocab_size=vocab,
            model_type="bpe",
            byte_fallback=True,
            character_coverage=0.9995,
            max_sentence_length=1 << 20,
            num_threads=os.cpu_count() or 1,
            minloglevel=2,
        )
    else:
        raise ValueError(f"unknown trainer {name!r}; known: {TRAINERS}")


def bytes_per_token(name: str, out: Path, texts: list[str]) -> float:
    """Bytes per token of the trained model on held-out texts."""
    total = sum(len(t.encode()) for t in texts)
    if name in ("fineweb-kit", "rustbpe"):
        from fineweb_kit.tokenizer import Tokenizer

        tok = Tokenizer.load(out / "tok.json")
        n = sum(len(ids) for ids in tok.encode_batch(texts, disallowed_special=()))
    elif name == "hf-tokenizers":
        from tokenizers import Tokenizer as HfTokenizer

        hf = HfTokenizer.from_file(str(out / "tokenizer.json"))
        n = sum(len(e.ids) for e in hf.encode_batch(texts, add_special_tokens=False))
    else:
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor(model_file=str(out / "sp.model"))
        n = sum(len(ids) for ids in sp.encode(texts))
    return total / max(n, 1)


def _status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` memory field (kB), or None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Resets the kernel's peak-RSS counter (Linux ``clear_refs`` 5), so the peak measured
    afterwards is the training's, not the document loading's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _child(name: str, corpus_list: str, vocab: int, out: str) -> None:
    import gc

    docs = load_docs(corpus_list)
    gc.collect()
    resettable = _reset_peak()
    base = _status_kib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    _train(name, docs, vocab, Path(out))
    dt = time.perf_counter() - t0
    peak = (_status_kib("VmHWM") if resettable else None) or resource.getrusage(
        resource.RUSAGE_SELF
    ).ru_maxrss
    print(json.dumps({"seconds": dt, "peak_mib": peak / 1024, "base_mib": base / 1024}))


def measure_training(
    name: str, files: list[str], vocab: int, runs: int, heldout: list[str]
) -> Iterator[dict]:
    """Runs ``name`` ``runs`` times in fresh processes; yields one result dict per run (the
    last one also has ``bytes_per_token`` on ``heldout``)."""
    with tempfile.TemporaryDirectory() as tmp:
        lst = Path(tmp) / "files.txt"
        lst.write_text("\n".join(files))
        for k in range(runs):
            out = Path(tmp) / f"run{k}"
            out.mkdir()
            cmd = [
                sys.executable,
                "-m",
                "benchmarks.tokenizer_train_harness",
                name,
                str(lst),
                str(vocab),
                str(out),
            ]
            # the child imports this checkout's benchmarks and the same fineweb_kit as we do
            root = str(Path(__file__).resolve().parents[1])
            env = {
                **os.environ,
                "PYTHONPATH": os.pathsep.join(
                    [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
                ),
            }
            res = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
            if res.returncode != 0:
                raise RuntimeError(f"{name} training failed:\n{res.stderr[-2000:]}")
            row = json.loads(res.stdout.strip().splitlines()[-1])
            if k == runs - 1:
                row["bytes_per_token"] = bytes_per_token(name, out, heldout)
            yield row


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
