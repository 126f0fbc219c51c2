"""The final-number checker on the shared GSM8K answers and on model-like outputs."""

from __future__ import annotations

import gzip
import json

import pytest

from fineweb_kit.chat.answers import extract_final_number, is_correct
from tests.conftest import SHARED_DATA


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("so 48/2 = 24 clips.\n#### 72", "72"),
        ("#### 1,000", "1000"),
        ("#### -5", "-5"),
        ("#### +7", "7"),
        ("The answer is $1,234.50.", "1234.5"),
        ("It is 3.0 now", "3"),
        ("first 5 then 6 then 7", "7"),
        ("#### 12 apples, not 13", "12"),
        ("values 3,4", "4"),
        ("no number here", None),
        ("", None),
        ("#### none, but 8 before", "8"),
    ],
)
def test_extract(text, want):
    assert extract_final_number(text) == want


def test_every_shared_gsm8k_reference_parses_to_its_marker_line():
    seen = {"comma": 0, "negative": 0}
    for name in ("gsm8k-train.jsonl.gz", "gsm8k-test.jsonl.gz"):
        with gzip.open(SHARED_DATA / "posttrain" / name, "rt") as f:
            for line in f:
                answer = json.loads(line)["answer"]
                final = answer.rsplit("####", 1)[1].strip()
                got = extract_final_number(answer)
                assert got == final.replace(",", ""), answer
                assert is_correct(f"I think it is {final}.", answer)
                seen["comma"] += "," in final
                seen["negative"] += final.startswith("-")
    assert seen == {"comma": 91, "negative": 4}  # the counts the data's README states
