"""Benchmarks: one command each, `python -m bench.<name>`; see README.md, "Performance"."""
