"""Formatters: steps that rewrite document text (PII, mojibake, symbol-only lines)."""
