"""Filters: steps that keep or drop documents, counting ``dropped_<reason>``."""
