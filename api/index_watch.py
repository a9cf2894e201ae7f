"""A running server picks up a finished ingest: the store's index version (a counter raised
by every document switch) is read at most every `interval` seconds; when it has changed, a
new service is built on the new index and swapped in whole. Requests in flight finish on the
old one (reloading one service in place would let them see half-rebuilt indexes)."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from assistant.service import AssistantService
from ingest.store import forget_client

log = logging.getLogger(__name__)
# How long an old Chroma client stays open after a swap, for the requests still using it.
RETIRE_AFTER_SECONDS = 120.0


class IndexWatch:
    def __init__(self, state, interval: float) -> None:
        self.state = state  # app.state: holds `service`, swapped here
        self.interval = interval
        self.loaded: int | None = None  # the index version the service has loaded
        self.on_disk: int | None = None  # the last version read from the store
        self.error: str | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._paused = threading.Event()
        self._store = None  # the store of the service being served

    def start(self, service) -> None:
        """Watch the store of the service the app starts with (a test double without one
        is not watched)."""
        try:
            self._store = service.store
        except Exception:  # a stand-in service that refuses to be touched
            self._store = None
        self.loaded = self._store.index_version() if self._store is not None else None

    @contextmanager
    def paused(self):
        """No checks while this process ingests (admin reindex)."""
        self._paused.set()
        try:
            yield
        finally:
            self._paused.clear()

    def check(self, force: bool = False, in_process: bool = False) -> None:
        """`in_process`: the change was written by this process (admin reindex), whose
        Chroma client already sees it."""
        now = time.monotonic()
        if self._store is None or self._paused.is_set():
            return
        if not force and now - self._checked < self.interval:
            return
        if not self._lock.acquire(blocking=force):
            return  # another request is checking or swapping; this one uses what is loaded
        try:
            self._checked = time.monotonic()
            self.on_disk = self._store.index_version()
            if self.loaded is None:
                self.loaded = self.on_disk  # the service loaded the index when it was built
            elif self.on_disk != self.loaded:
                log.info("index version %s -> %s: loading it", self.loaded, self.on_disk)
                service = self.state.service
                old_client = None if in_process else forget_client(service.settings)
                fresh = AssistantService.from_settings(service.settings, embedder=service.embedder)
                self.state.service, self._store = fresh, fresh.store
                self.loaded = fresh.store.index_version()
                if old_client is not None:
                    timer = threading.Timer(RETIRE_AFTER_SECONDS, old_client.stop)
                    timer.daemon = True
                    timer.start()
            self.error = None
        except Exception as exc:  # a failed load keeps the loaded index serving
            log.exception("index check failed")
            self.error = f"{exc.__class__.__name__}: {exc}"
        finally:
            self._lock.release()

    @property
    def changed(self) -> bool:
        """The store holds another version than the one served (a load is due or failed)."""
        return self.loaded is not None and self.on_disk is not None and self.loaded != self.on_disk
