"""Readers: steps that turn input files into documents."""
