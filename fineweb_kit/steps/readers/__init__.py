"""Readers: turn input files into documents (one module per format)."""
