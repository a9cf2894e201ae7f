"""HTTP API, web chat and the command line: the top layer."""
