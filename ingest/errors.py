"""Errors with messages meant for people (English, for logs and the CLI)."""


class IngestError(Exception):
    """A document could not be read; it is skipped and the rest are ingested."""


class EmbeddingMismatchError(RuntimeError):
    """The index was built with another embedding model than the one configured."""
