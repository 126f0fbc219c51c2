"""Writers: one output part per input file, written atomically (one module per format)."""
