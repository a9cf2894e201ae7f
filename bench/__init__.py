"""Benchmarks: one command each, `python -m bench.<name>`; see bench/__main__.py."""
