"""Deduplication, the library under the dedup steps (Rust passes in ``_core``).

- :mod:`fineweb_kit.dedup.minhash`: MinHash near-duplicates (FineWeb's parameters),
- :mod:`fineweb_kit.dedup.keys`: exact (normalised text) and sentence-window (C4) keys,
- :mod:`fineweb_kit.dedup.records`: budgets, input numbering, the framed record files.
"""
