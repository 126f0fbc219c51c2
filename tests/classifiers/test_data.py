"""Training-data reading (JSONL and Parquet, nested metadata fields) and the stable split."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fineweb_kit.classifiers import data as D
from fineweb_kit.exceptions import ConfigError, InputError
from fineweb_kit.steps.classifiers.top_fraction import keep_count
from tests.classifiers.labelled import web_docs


def test_parquet_and_jsonl_read_the_same_examples(tmp_path):
    docs = web_docs(40)
    rows = [
        {"body": d["text"], "metadata": {"grade": d["edu"] + i % 3}} for i, d in enumerate(docs)
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "g.parquet")
    (tmp_path / "g.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    a = D.read_scored(str(tmp_path / "g.parquet"), "grade", text_field="body")
    b = D.read_scored(str(tmp_path / "g.jsonl"), "grade", text_field="body")
    assert [(e.text, e.label) for e in a] == [(e.text, e.label) for e in b]
    assert [e.text for e in a] == [d["text"] for d in docs]
    assert "g.parquet: row 3" in a[2].source and "g.jsonl:3" in b[2].source


def test_bad_scores_and_missing_files_name_the_place(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"text": "a", "s": 1}\n{"text": "b", "s": "high"}\n')
    with pytest.raises(InputError, match=r"s.jsonl:2: field 's' is 'high', expected a number"):
        D.read_scored(str(path), "s")
    with pytest.raises(InputError, match="no input file matches"):
        D.read_texts(str(tmp_path / "none-*.jsonl"))
    path.write_text('{"text": "a"}\nnot json\n')
    with pytest.raises(InputError, match=r"s.jsonl:2: not a JSON line"):
        D.read_texts(str(path))


def test_split_is_stable_under_reordering_and_keeps_duplicates_together():
    ex = [D.Example(d["text"], 1.0, d["id"]) for d in web_docs(300)]
    _, test = D.split(ex, 0.2)
    _, test_r = D.split(ex[::-1], 0.2)
    assert {e.text for e in test} == {e.text for e in test_r}
    assert 0.1 < len(test) / len(ex) < 0.3
    train, test = D.split(ex + ex[:50], 0.2)  # 50 documents twice
    test_texts = [e.text for e in test]
    train_texts = {e.text for e in train}
    assert not train_texts & set(test_texts)  # no copy of a test document is trained on
    assert any(test_texts.count(e.text) == 2 for e in ex[:50])
    with pytest.raises(ConfigError, match="give more data"):
        D.split(ex[:1], 0.5)


def test_keep_count_reads_the_fraction_as_written():
    assert keep_count(0.1, 30) == 3  # math.ceil(0.1 * 30) would be 4
    assert keep_count(0.1, 31) == 4
    assert keep_count(1.0, 7) == 7 and keep_count(0.0, 7) == 0
    assert keep_count(0.33, 100) == 33
