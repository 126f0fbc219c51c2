"""URLFilter: drops pages whose URL is on FineWeb's adult blocklist or is full of banned words.

What (FineWeb's URL filter, datatrove ``URLFilter``, in this order; the first hit is the reason):

* ``domain``: the registered domain (``example.co.uk`` of ``a.b.example.co.uk``, public-suffix
  aware via tldextract's bundled list, no network) is on the blocklist;
* ``subdomain``: the full host name is on the blocklist;
* ``url``: the whole URL is on the URL blocklist;
* ``hard_blacklisted``: a word of ``banned_words`` is one of the URL's words (split on
  non-alphanumerics);
* ``soft_blacklisted``: at least ``soft_word_threshold`` (default 2, datatrove's default) of the
  ``soft_banned_words`` are URL words;
* ``blacklisted_subword``: a ``banned_subwords`` entry occurs inside the URL with all
  non-alphanumerics removed and lower-cased.

Why: FineWeb (Penedo et al., 2024, section 3.1) removes adult content by URL first, cheaply,
with the UT1 "adult" list (4.5 M domains). The lists: ``fineweb-kit assets fetch`` extracts
them from the datatrove 0.2.0 wheel, the version FineWeb ran, into the data folder
(:mod:`fineweb_kit.assets`; datatrove 0.10 ships a newer UT1 list,
``url_filterblacklistsv0_3_0``; point ``blocklist_dir`` at it to use that). Word lists:
datatrove's ``banned_words.txt``, ``banned_subwords.txt``, ``soft_banned_words.txt``.

How: the blocklists are loaded once per process (not per task or file) into sorted arrays of
64-bit xxh3 hashes (:mod:`fineweb_kit.url_lists`; 4.5 M domains: 36 MB; built once, then
cached beside the list as ``domains.xxh3.npy``, loaded in milliseconds), looked up for a whole
batch with one ``numpy.searchsorted``. A false positive needs a 64-bit hash collision: with
4.5 M entries about 2.4e-13 per lookup. Documents without a URL are kept and counted (``no_url``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from fineweb_kit import assets
from fineweb_kit.document import Batch
from fineweb_kit.exceptions import ConfigError
from fineweb_kit.steps.base import Filter, Params, TaskContext
from fineweb_kit.steps.params import Check, WriterConfig, at_least, check_positive_int
from fineweb_kit.url_lists import WORD_SPLIT, HashSet, load_list_hashes, load_words, normalize

LIST_FILES = ("domains", "urls", "banned_words.txt", "banned_subwords.txt", "soft_banned_words.txt")


class URLFilter(Filter):
    """Drops documents by URL: UT1 adult domains/URLs and banned words (FineWeb, datatrove).

    ``blocklist_dir``: folder with ``domains``, ``urls`` and the three word lists (default: the
    ``url_filter`` asset of ``fineweb-kit assets fetch``). ``use_integrated_lists``: false to
    use only the ``extra_*`` lists. ``extra_domains`` / ``extra_urls`` / ``extra_banned_words`` /
    ``extra_banned_subwords`` / ``extra_soft_banned_words``: added to the lists.
    ``extra_domain_files``: more files of one domain per line. ``soft_word_threshold``: soft
    words needed to drop (datatrove default 2).
    """

    def __init__(
        self,
        blocklist_dir: str | None = None,
        use_integrated_lists: bool = True,
        soft_word_threshold: int = 2,
        extra_domains: list[str] | None = None,
        extra_urls: list[str] | None = None,
        extra_banned_words: list[str] | None = None,
        extra_banned_subwords: list[str] | None = None,
        extra_soft_banned_words: list[str] | None = None,
        extra_domain_files: list[str] | None = None,
        exclusion_writer: WriterConfig | None = None,
    ) -> None:
        super().__init__(exclusion_writer=exclusion_writer)
        self.dir = Path(blocklist_dir) if blocklist_dir else assets.URL_FILTER.path
        self.use_integrated_lists = use_integrated_lists
        self.soft_word_threshold = check_positive_int("soft_word_threshold", soft_word_threshold)
        self.extra = {
            "domains": [d.strip() for d in extra_domains or []],
            "urls": [u.strip() for u in extra_urls or []],
            "banned_words": {normalize(w) for w in extra_banned_words or []} - {""},
            "banned_subwords": {normalize(w) for w in extra_banned_subwords or []} - {""},
            "soft_banned_words": {normalize(w) for w in extra_soft_banned_words or []} - {""},
        }
        self.domain_files = [Path(p) for p in extra_domain_files or []]
        self._loaded = False

    param_checks: ClassVar[dict[str, Check]] = {"soft_word_threshold": at_least(1)}

    @staticmethod
    def needed_assets(params: dict[str, Any]) -> list[assets.Asset]:
        """The data-folder assets a step built with ``params`` reads (for ``validate``)."""
        default = not params.get("blocklist_dir") and params.get("use_integrated_lists", True)
        return [assets.URL_FILTER] if default else []

    @classmethod
    def check_params(cls, params: Params) -> None:
        super().check_params(params)
        if params["use_integrated_lists"] and not params["blocklist_dir"]:
            assets.require(assets.URL_FILTER, "URLFilter")
        folder = Path(params["blocklist_dir"] or assets.URL_FILTER.path)
        needed = [folder / n for n in LIST_FILES] if params["use_integrated_lists"] else []
        missing = [p for p in needed if not p.is_file()]
        missing += [Path(p) for p in params["extra_domain_files"] or [] if not Path(p).is_file()]
        if missing:
            raise ConfigError(
                f"URLFilter: missing {', '.join(map(str, missing))}; point blocklist_dir at a "
                f"folder with {', '.join(LIST_FILES)} (`{assets.FETCH_COMMAND}` puts FineWeb's "
                f"in {assets.URL_FILTER.path}), or set use_integrated_lists: false"
            )

    def setup(self, ctx: TaskContext) -> None:
        super().setup(ctx)
        self.load()

    def load(self) -> None:
        """Loads the lists (once per process: the big ones are shared through a cache)."""
        if self._loaded:
            return
        import tldextract

        self._tld = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
        self._tld("http://example.com/")  # builds its suffix trie now, not inside a batch
        domains = [load_list_hashes(p) for p in self.domain_files]
        urls: list[np.ndarray] = []
        words = {
            k: set(self.extra[k]) for k in ("banned_words", "banned_subwords", "soft_banned_words")
        }
        if self.use_integrated_lists:
            domains.append(load_list_hashes(self.dir / "domains"))
            urls.append(load_list_hashes(self.dir / "urls"))
            for k in words:
                words[k] |= load_words(self.dir / f"{k}.txt")
        self.domains = HashSet(domains, self.extra["domains"])
        self.urls = HashSet(urls, self.extra["urls"])
        self.banned_words = frozenset(words["banned_words"])
        self.soft_words = frozenset(words["soft_banned_words"])
        subwords = sorted(words["banned_subwords"], key=len, reverse=True)
        self.subword_re = re.compile("|".join(map(re.escape, subwords))) if subwords else None
        self._loaded = True

    def filter_batch(self, batch: Batch) -> list[str | None]:
        self.load()
        urls = [d.url or "" for d in batch]
        parts = [self._tld(u) if u else None for u in urls]
        registered = [p.top_domain_under_public_suffix if p else "" for p in parts]
        hosts = [p.fqdn if p else "" for p in parts]
        by_domain = self.domains.contains(registered)
        by_host = self.domains.contains(hosts)
        by_url = self.urls.contains(urls)
        reasons: list[str | None] = []
        for i, url in enumerate(urls):
            if not url:
                self.stats.add("no_url")
                reasons.append(None)
            elif by_domain[i] and registered[i]:
                reasons.append("domain")
            elif by_host[i] and hosts[i]:
                reasons.append("subdomain")
            elif by_url[i]:
                reasons.append("url")
            else:
                reasons.append(self._word_reason(url))
        return reasons

    def _word_reason(self, url: str) -> str | None:
        words = set(WORD_SPLIT.split(url))
        if not self.banned_words.isdisjoint(words):
            return "hard_blacklisted"
        if len(self.soft_words & words) >= self.soft_word_threshold:
            return "soft_blacklisted"
        if self.subword_re is not None and self.subword_re.search(normalize(url)):
            return "blacklisted_subword"
        return None
