"""A running server picks up a finished ingest: the store's index version (a counter raised
by every document switch) is read at most every `interval` seconds, and the service reloads
when it has changed."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from assistant.service import AssistantService

log = logging.getLogger(__name__)


class IndexWatch:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.loaded: int | None = None  # the index version the service has loaded
        self.on_disk: int | None = None  # the last version read from the store
        self.error: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._paused = threading.Event()

    @contextmanager
    def paused(self):
        """No checks while this process ingests (admin reindex): re-opening the Chroma
        client would stop the one the ingest writes with."""
        self._paused.set()
        try:
            yield
        finally:
            self._paused.clear()

    def check(
        self, service: AssistantService, force: bool = False, in_process: bool = False
    ) -> None:
        """`in_process`: the change was written by this process (admin reindex), whose
        Chroma client already sees it."""
        now = time.monotonic()
        if self._paused.is_set() or (not force and now - self._checked < self.interval):
            return
        if not self._lock.acquire(blocking=force):
            return  # another request is checking or reloading; this one uses what is loaded
        try:
            self._checked = time.monotonic()
            self.on_disk = service.store.index_version()
            if self.loaded is None:
                self.loaded = self.on_disk  # the service loaded the index when it was built
            elif self.on_disk != self.loaded:
                log.info("index version %s -> %s: reloading", self.loaded, self.on_disk)
                if not in_process:
                    service.store.refresh()  # another process wrote: re-open the client
                service.reload()
                self.loaded = self.on_disk
            self.error = None
        except Exception as exc:  # a reload that fails keeps the loaded index serving
            log.exception("index check failed")
            self.error = f"{exc.__class__.__name__}: {exc}"
        finally:
            self._lock.release()

    @property
    def changed(self) -> bool:
        """The store holds another version than the one served (a reload is due or failed)."""
        return self.loaded is not None and self.on_disk is not None and self.loaded != self.on_disk
