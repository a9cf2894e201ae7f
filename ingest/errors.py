"""Errors with messages meant for people (English, for logs and the CLI)."""


class IngestError(Exception):
    """A document could not be read; it is skipped and the rest are ingested."""


class EmbeddingMismatchError(RuntimeError):
    """The index was built with another embedding model than the one configured."""


class SourceError(IngestError):
    """A URL or uploaded file was refused or could not be fetched. `code` is stable (the API
    returns it), `message` is English (logs, CLI), `swedish` is for people using the web UI."""

    def __init__(self, code: str, message: str, swedish: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.swedish = swedish


class IngestLockedError(RuntimeError):
    """Another ingest holds the lock on the data folder."""


class MassDeleteError(RuntimeError):
    """The run would remove more than half of the index; it needs explicit permission."""
