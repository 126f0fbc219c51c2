"""Model-based quality steps: scorers that annotate documents, filters that keep by score."""
