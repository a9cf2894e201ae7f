"""`samverkan ingest` that kills itself with SIGKILL (kill -9) at a chosen write, for the
crash tests in test_reliability.py:

    python -m tests.crash_ingest METHOD N [before|after]

kills the process right before (or right after) the Nth call of ChunkStore.METHOD. Nothing
is cleaned up: exactly what a power cut or the OOM killer leaves behind."""

from __future__ import annotations

import os
import signal
import sys

from ingest.store import ChunkStore


def arm(method: str, nth: int, when: str) -> None:
    original = getattr(ChunkStore, method)
    calls = 0

    def wrapped(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == nth and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        out = original(self, *args, **kwargs)
        if calls == nth and when == "after":
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    setattr(ChunkStore, method, wrapped)


if __name__ == "__main__":
    arm(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "before")
    from api.cli import app

    app(["ingest"])
