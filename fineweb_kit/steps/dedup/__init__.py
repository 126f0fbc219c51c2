"""Deduplication steps: MinHash (four stages), exact and sentence dedup."""
