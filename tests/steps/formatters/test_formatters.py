"""PII, FTFY and symbol-line formatters on real-looking and real text."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from fineweb_kit.document import Document
from fineweb_kit.steps.base import TaskContext
from fineweb_kit.steps.formatters.ftfy_formatter import FTFYFormatter
from fineweb_kit.steps.formatters.pii import PIIFormatter
from fineweb_kit.steps.formatters.symbol_lines import SymbolLinesFormatter

NOT_PII = [
    "Upgrade to version 1.2.3.4 before Friday.",
    "Tested on Windows 10.0.19041.1 and macOS 14.2.1.",
    "Firmware v2.0.1.5 fixes the Wi-Fi bug.",
    "The build 4.18.0.80 is out; see release 5.10.1.2 notes.",
    "Published 12.10.2023, updated 2023-10-12 and 1.1.2024.",
    "Meeting on 03.04.2024 at 10.30; price 1.299.99 EUR.",
    "Section 1.2.3.4.5 of the standard.",
    "Local server at 192.168.1.20 and 10.0.0.1, loopback 127.0.0.1.",
    "Icons: logo@2x.png, banner@3x.jpg.",
    "Zip 0.5.10.3 and octets 01.02.03.04 are not addresses.",
]
PII = [
    ("Write to jane.doe@gmail.com for details.", "jane.doe@gmail.com"),
    ("Contact: info@beispiel-firma.de, Fax 030 1234", "info@beispiel-firma.de"),
    ("Our DNS is 8.8.8.8.", "8.8.8.8"),
    ("Server IP: 172.217.16.142 (public)", "172.217.16.142"),
    ("ssh admin@203.0.113.7 then 93.184.216.34", "93.184.216.34"),
]


def _ctx() -> TaskContext:
    return TaskContext("t")


@pytest.mark.parametrize("text", NOT_PII)
def test_pii_leaves_versions_dates_private_ips_and_files(text):
    assert PIIFormatter().format(text) == text


@pytest.mark.parametrize(("text", "pii"), PII)
def test_pii_replaces_emails_and_public_ips(text, pii):
    out = PIIFormatter().format(text)
    assert pii not in out
    assert "example" in out or any(ip in out for ip in ("22.214.171.124", "126.96.36.199"))


def test_pii_on_real_documents_matches_datatrove_except_false_positives(shared_data):
    """Same replacements as datatrove on real pages, except where datatrove hits a false
    positive (a version number glued to a longer dotted number); never one datatrove lacks."""
    from datatrove.pipeline.formatters.pii import PIIFormatter as DtPII

    from fineweb_kit.steps.formatters.pii import EMAIL_REPLACEMENTS, IP_REPLACEMENTS

    marker = re.compile("|".join(re.escape(r) for r in EMAIL_REPLACEMENTS + IP_REPLACEMENTS))
    ours, theirs = PIIFormatter(), DtPII()
    changed = differ = 0
    for path in sorted((shared_data / "cc-docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            texts = [json.loads(line)["text"] for line in f]
        for text in texts:
            a, b = marker.sub("<PII>", ours.format(text)), marker.sub("<PII>", theirs.format(text))
            changed += a != text
            if a != b:
                differ += 1
                print("datatrove only:", [m for m in re.findall(r"\S*\d+\.\d+\.\d+\.\d+\S*", text)])
                assert a.count("<PII>") < b.count("<PII>")
    assert changed >= 50  # real pages do hold addresses
    assert differ <= 3


def test_ftfy_fixes_mojibake_and_keeps_style():
    f = FTFYFormatter()
    assert (
        f.format("The Mona Lisa doesnâ€™t have eyebrows.") == "The Mona Lisa doesn’t have eyebrows."
    )
    assert f.format("café â€” naïve") == "café — naïve"
    styled = "“Curly” quotes, ﬁ ligature, ｆｕｌｌ width stay."
    assert f.format(styled) == styled


def test_symbol_lines_removed_but_text_and_blank_lines_kept():
    text = "Title\n* * *\n=====\n\nBody — text.\n►►►\n|||\nEnd ✓ done"
    assert SymbolLinesFormatter().format(text) == "Title\n\nBody — text.\nEnd ✓ done"
    assert SymbolLinesFormatter(replace_char="\n").format("a\n---\n***\nb") == "a\n\n\nb"


def test_formatter_counts_and_drops_emptied_documents():
    f = SymbolLinesFormatter()
    batch = [Document("a\n---", "1"), Document("***\n###", "2"), Document("plain", "3")]
    out = f.process_batch(batch, _ctx())
    assert [d.id for d in out] == ["1", "3"] and out[0].text == "a"
    assert f.stats.counters["documents_modified"] == 2
    assert f.stats.counters["dropped_empty_after_format"] == 1
