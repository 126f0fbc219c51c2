"""The calculator tool: exact arithmetic, strict grammar, limits, errors as text."""

from __future__ import annotations

import gzip
import json
import re
from fractions import Fraction

import pytest

from fineweb_kit.chat.calculator import MAX_LENGTH, calculate, evaluate
from tests.conftest import SHARED_DATA


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("48/2", "24"),
        ("10/4", "2.5"),
        ("10/3", "3.333333"),
        ("0.1+0.2", "0.3"),
        ("2+3*4", "14"),
        ("(2+3)*4", "20"),
        ("-(3)*-2", "6"),
        ("1,000 * 3", "3000"),
        (" 7 - 10 ", "-3"),
        (".5*4", "2"),
        ("100-100", "0"),
    ],
)
def test_values(expr, want):
    assert evaluate(expr) == want


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("1/0", "division by zero"),
        ("5/(2-2)", "division by zero"),
        ("__import__('os').system('echo hacked')", "unexpected character '_'"),
        ("2**10", "unexpected character '*'"),
        ("abs(-1)", "unexpected character 'a'"),
        ("1e5", "unexpected character 'e'"),
        ("9" * 19, "too many digits"),
        ("1" + "+1" * 60, f"longer than {MAX_LENGTH}"),
        ("(" * 20 + "1" + ")" * 20, "nested too deeply"),
        ("-" * 20 + "1", "nested too deeply"),
        ("99999999*99999999*99999999", "too large"),
        ("2*(3+4", "expected ')'"),
        ("", "empty expression"),
        ("1..2", "malformed number"),
        ("1,00", "malformed number"),
        ("5-", "unexpected end"),
        ("3 4", "unexpected character '4'"),
        ("٣+1", "unexpected character"),  # non-ASCII digit
    ],
)
def test_refusals_are_error_strings_never_exceptions(expr, reason):
    out = evaluate(expr)
    assert out.startswith("error: ") and reason in out, out


def test_non_text_input_is_an_error_string():
    assert evaluate(12).startswith("error: ")  # type: ignore[arg-type]


def test_every_gsm8k_annotation_evaluates_to_its_printed_result():
    """All calculator annotations in the shared GSM8K train file: our value equals the
    annotated result (rounded to the annotation's decimals, or within 0.01) in all of them but
    the two written with Python's ``//``, which the calculator refuses."""
    calls = []
    with gzip.open(SHARED_DATA / "posttrain" / "gsm8k-train.jsonl.gz", "rt") as f:
        for line in f:
            calls += re.findall(r"<<([^<>=]*)=([^<>]*)>>", json.loads(line)["answer"])
    agree, errors = 0, []
    for expr, result in calls:
        out = evaluate(expr)
        if out.startswith("error"):
            errors.append(expr)
            continue
        try:
            want = Fraction(result.replace(",", ""))
        except ValueError:
            continue
        places = len(result.partition(".")[2])
        got = calculate(expr)
        agree += round(got, places) == round(want, places) or abs(got - want) < Fraction(1, 100)
    assert len(calls) == 23_716
    assert errors == ["560//10", "180//3"]
    assert agree == len(calls) - len(errors)
