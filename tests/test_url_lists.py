"""The block-list hashing that URLFilter and `fineweb-kit assets fetch` share (url_lists.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fineweb_kit.url_lists import hash_keys, load_list_hashes
from tests.steps.filters.test_url import DEFAULT_DIR, sample_domains


def test_hashes_take_str_as_utf8_and_match_the_prebuilt_arrays(tmp_path: Path):
    import xxhash

    domains = [*sample_domains(step=50000), "xn--bcher-kva.example", "bücher.example"]
    want = [xxhash.xxh3_64_intdigest(d.encode("utf-8")) for d in domains]
    assert hash_keys(domains).tolist() == want  # str in (xxhash 4 refuses str itself)
    assert hash_keys(d.encode() for d in domains).tolist() == want
    prebuilt = load_list_hashes(DEFAULT_DIR / "domains")  # domains.xxh3.npy of the asset
    assert len(prebuilt) > 4_000_000 and bool((prebuilt[1:] > prebuilt[:-1]).all())
    idx = np.searchsorted(prebuilt, np.array(want[:-2], dtype=np.uint64))
    assert (prebuilt[idx] == np.array(want[:-2], dtype=np.uint64)).all()
    # the same list hashed from scratch (no .npy beside it) gives the same sorted array
    small = tmp_path / "domains"
    small.write_text("\n".join(["# comment", *domains, domains[0], ""]), encoding="utf-8")
    assert load_list_hashes(small).tolist() == sorted(set(want))
    assert (tmp_path / "domains.xxh3.npy").is_file()
