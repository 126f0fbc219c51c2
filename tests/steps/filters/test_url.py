"""URLFilter on real URLs (cc-docs, WARC captures) with datatrove's URLFilter as the oracle."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from fineweb_kit.assets import URL_FILTER
from fineweb_kit.document import Document
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.steps.filters.url import URLFilter
from fineweb_kit.url_lists import load_words
from tests.conftest import SHARED_DATA as DATA

DEFAULT_DIR = URL_FILTER.path  # `fineweb-kit assets fetch` (make setup) puts the lists there


def real_urls() -> list[str]:
    urls = []
    for name in ("dolma-cc-2019-30.jsonl.gz", "trafilatura.jsonl.gz", "wet.jsonl.gz"):
        with gzip.open(DATA / "cc-docs" / name, "rt", encoding="utf-8") as f:
            urls += [json.loads(line)["url"] for line in f]
    return [u for u in urls if u]


def sample_domains(step: int = 150_000) -> list[str]:
    with open(DEFAULT_DIR / "domains", "rb") as f:
        lines = f.read().split(b"\n")
    return [ln.decode().strip() for ln in lines[::step] if ln.strip()]


def crafted_urls(domains: list[str]) -> list[str]:
    words = sorted(load_words(DEFAULT_DIR / "banned_words.txt"))[:15]
    soft = sorted(load_words(DEFAULT_DIR / "soft_banned_words.txt"))
    subwords = sorted(load_words(DEFAULT_DIR / "banned_subwords.txt"))[:15]
    urls = [f"http://www.{d}/index.html" for d in domains]
    urls += [f"https://forum.{d}/t/1" for d in domains]
    urls += [f"http://example.com/{w}/page.html" for w in words]
    urls += [f"http://example.org/{a}-{b}" for a, b in zip(soft[:10], soft[10:20], strict=True)]
    urls += [f"http://example.net/{soft[0]}-only"]
    urls += [f"http://example.com/my{s}stuff" for s in subwords]
    return urls


def ours_and_datatrove(urls: list[str], **lists) -> tuple[list, list]:
    from datatrove.data import Document as DtDocument
    from datatrove.pipeline.filters import URLFilter as DtURLFilter

    theirs = DtURLFilter(use_integrated_lists=False, **lists)
    ours = URLFilter(
        use_integrated_lists=False,
        **{("extra_" + k if k.startswith(("banned", "soft")) else k): v for k, v in lists.items()},
    )
    docs = [Document("t", str(i), url=u) for i, u in enumerate(urls)]
    mine = ours.filter_batch(docs)
    other = []
    for i, u in enumerate(urls):
        res = theirs.filter(DtDocument(text="t", id=str(i), metadata={"url": u}))
        other.append(None if res is True else res[1])
    return mine, other


def test_same_decisions_as_datatrove_on_real_and_crafted_urls():
    domains = sample_domains()
    urls = [*real_urls(), *crafted_urls(domains), "http://members.clean-example.com/a"]
    lists = {
        "extra_domains": [*domains, "members.clean-example.com"],
        "extra_urls": [urls[0], urls[5]],
        "banned_words": sorted(load_words(DEFAULT_DIR / "banned_words.txt")),
        "banned_subwords": sorted(load_words(DEFAULT_DIR / "banned_subwords.txt")),
        "soft_banned_words": sorted(load_words(DEFAULT_DIR / "soft_banned_words.txt")),
    }
    mine, theirs = ours_and_datatrove(urls, **lists)
    diffs = [(u, a, b) for u, a, b in zip(urls, mine, theirs, strict=True) if a != b]
    assert not diffs, diffs[:20]
    reasons = set(mine)
    assert {"domain", "subdomain", "url", "hard_blacklisted", "soft_blacklisted"} <= reasons
    assert "blacklisted_subword" in reasons and None in reasons


def test_fineweb_blocklist_drops_listed_domains_and_keeps_most_real_pages():
    step = URLFilter()
    listed = [Document("t", d, url=f"https://{d}/") for d in sample_domains(50_000)]
    assert len(listed) > 80
    reasons = step.filter_batch(listed)
    assert all(r in ("domain", "subdomain") for r in reasons)
    real = [Document("t", str(i), url=u) for i, u in enumerate(real_urls())]
    kept = sum(r is None for r in step.filter_batch(real))
    assert kept >= 0.9 * len(real)  # cc-docs is unfiltered, but mostly not adult sites


def test_extra_lists_without_the_integrated_ones(tmp_path: Path):
    listed = tmp_path / "mine.txt"
    listed.write_text("# my list\nbadsite.net\n", encoding="utf-8")
    step = URLFilter(
        use_integrated_lists=False,
        extra_domain_files=[str(listed)],
        extra_urls=["http://ok.example/exact"],
        extra_banned_words=["Casino"],
    )
    docs = [
        Document("t", "1", url="http://www.badsite.net/x"),
        Document("t", "2", url="http://ok.example/exact"),
        Document("t", "3", url="http://ok.example/casino/games"),
        Document("t", "4", url="http://ok.example/other"),
        Document("t", "5", url=None),
    ]
    assert step.filter_batch(docs) == ["domain", "url", "hard_blacklisted", None, None]
    assert step.stats.counters["no_url"] == 1


def test_missing_blocklist_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="assets fetch"):
        URLFilter(blocklist_dir=str(tmp_path))


def test_missing_default_asset_names_the_fetch_command(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("FINEWEB_KIT_DATA_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="run `fineweb-kit assets fetch`") as e:
        URLFilter()
    assert str(tmp_path) in str(e.value)
    URLFilter(use_integrated_lists=False)  # no asset needed
