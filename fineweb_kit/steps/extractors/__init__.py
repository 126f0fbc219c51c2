"""Extractors: HTML documents -> main-content text (one module per extractor)."""
