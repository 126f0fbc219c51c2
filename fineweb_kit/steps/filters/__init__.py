"""Filters: steps that keep or drop documents, with a reason per drop."""
