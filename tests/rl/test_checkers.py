"""Checkers on real GSM8K answers and on garbage (hypothesis): they score, never raise."""

from __future__ import annotations

import gzip
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from fineweb_kit.rl import checkers
from fineweb_kit.rl.checkers import final_number
from fineweb_kit.rl.tasks import arithmetic_tasks, load_gsm8k, load_task_file


def test_gsm8k_final_number_separators_and_signs():
    assert checkers.gsm8k("so the total is 1,000 dollars", "#### 1000") == 1.0
    assert checkers.gsm8k("We get -3.", "#### -3") == 1.0
    assert checkers.gsm8k("answer: +3", "3") == 1.0
    assert checkers.gsm8k("it is 3", "#### -3") == 0.0
    assert checkers.gsm8k("first 5 then 7", "7") == 1.0
    assert checkers.gsm8k("first 5 then 7", "5") == 0.0
    assert checkers.gsm8k("#### 12 (I checked 13)", "12") == 1.0  # the marker wins
    assert checkers.gsm8k("$18.00 in all", "18") == 1.0
    assert checkers.gsm8k("no number here", "4") == 0.0
    assert final_number("1,2") == "2"  # not a thousands group


def test_gsm8k_real_answers_score_themselves(shared_data):
    path = shared_data / "posttrain" / "gsm8k-test.jsonl.gz"
    with gzip.open(path, "rt") as f:
        recs = [json.loads(line) for line in f]
    tasks = load_gsm8k(path)
    assert len(tasks) == len(recs) == 1000
    assert any("," in r["answer"].split("####")[-1] for r in recs)
    for rec, task in zip(recs, tasks, strict=True):
        # the whole worked solution (with its '#### N') earns the reward, its numbers do not
        assert task.reward(rec["answer"]) == 1.0
        assert task.reward(rec["answer"].split("####")[0] + " 999999999") == 0.0


def test_other_checkers():
    assert checkers.exact("  yes \n", "yes") == 1.0
    assert checkers.exact("yes!", "yes") == 0.0
    assert checkers.numeric("about 0.3333333333", "0.33333333331") == 1.0
    assert checkers.numeric("about 0.34", "0.33") == 0.0
    assert checkers.regex("the capital is Paris.", r"\bParis\b") == 1.0
    assert checkers.regex("anything", "(unclosed") == 0.0  # bad pattern scores 0


def test_task_files_and_synthetic_tasks(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text(
        json.dumps({"prompt": "2+2?", "answer": "4", "checker": "numeric"})
        + "\n"
        + json.dumps(
            {
                "prompt": "f(x)=2x",
                "answer": "from solution import f\nassert f(3) == 6\n",
                "checker": "unit_tests",
            }
        )
        + "\n"
        + json.dumps({"prompt": "say hi", "answer": "^hi", "checker": "regex"})
        + "\n"
    )
    a, code, b = load_task_file(p)
    assert a.reward("it is 4.0") == 1.0 and b.reward("hi there") == 1.0
    assert code.reward("```python\ndef f(x):\n    return 2 * x\n```") == 1.0
    assert code.reward("def f(x):\n    return x\n") == 0.0
    p.write_text(json.dumps({"prompt": "x", "answer": "1", "checker": "fuzzy"}) + "\n")
    try:
        load_task_file(p)
    except Exception as e:
        assert "t.jsonl:1" in str(e) and "fuzzy" in str(e)
    else:
        raise AssertionError("unknown checker accepted")
    for level in (0, 1, 2, 3, 4):
        tasks = arithmetic_tasks(50, level, seed=3)
        assert tasks == arithmetic_tasks(50, level, seed=3)
        assert len({t.prompt for t in tasks}) > (30 if level == 0 else 40)
        assert all(int(t.answer) >= 0 for t in tasks)
        assert all(t.reward(f"The answer is {t.answer}.") == 1.0 for t in tasks)
    assert max(int(t.answer) for t in arithmetic_tasks(200, 1)) <= 18


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=40))
def test_checkers_never_raise_on_garbage(completion, answer):
    for name, fn in checkers.CHECKERS.items():
        if name != "unit_tests":  # a subprocess each: its own garbage test below
            assert fn(completion, answer) in (0.0, 1.0)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_checkers_never_raise_on_non_strings(blob):
    for name, fn in checkers.CHECKERS.items():
        if name != "unit_tests":
            assert fn(blob, "1") == 0.0  # type: ignore[arg-type]
            assert fn(None, blob) == 0.0  # type: ignore[arg-type]


@settings(max_examples=8, deadline=None)
@given(st.text(max_size=200))
def test_unit_test_checker_never_raises_on_garbage(completion):
    tests = "from solution import f\nassert f(2) == 4\n"
    assert checkers.unit_tests(completion, tests) == 0.0
    assert checkers.unit_tests(None, tests) == 0.0  # type: ignore[arg-type]
