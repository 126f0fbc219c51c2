"""Pipeline steps: readers, extractors, filters, formatters, dedup, writers (one module each)."""
