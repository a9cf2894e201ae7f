"""Bringing web sources into the library: the list of sources (a sources.yaml file or a
`sources:` list in the manifest), fetching each page (conditionally when it was fetched
before), following a sitemap or the links under a path prefix, and what happened to each page.

A sources entry is a URL, or a mapping:

    sources:
      - https://www.example.se/sida.html
      - url: https://www.example.se/vard/          # start page ...
        follow: true                               # ... and the pages it links to below
        prefix: https://www.example.se/vard/       # (default: the start page's folder)
        limit: 20
      - sitemap: https://www.example.se/sitemap.xml
        prefix: https://www.example.se/vard/
      - url: https://www.example.se/avtal.html
        id: avtal-hemsjukvard                      # document id (default: from the URL)
        title: Avtal om hemsjukvård                # manifest fields override the page's own
        date: 2024-01-15
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError, SourceError
from .library import OVERRIDABLE, Library, LibraryRecord, now_iso
from .manifest import MANIFEST
from .web import WebClient, check_url, default_prefix, links_under

_KEYS = {"url", "sitemap", "follow", "prefix", "limit", "id"} | OVERRIDABLE
# What one entry may say about every page of a sitemap or a followed prefix.
_SHARED = {"publisher", "kind", "original_form"}


@dataclass(frozen=True)
class SourceSpec:
    url: str | None = None
    sitemap: str | None = None
    follow: bool = False
    prefix: str | None = None
    limit: int | None = None
    doc_id: str | None = None
    overrides: dict | None = None  # None keeps what an earlier run stored


@dataclass(frozen=True)
class PageOutcome:
    """What happened to one page. `state`: new, changed, unchanged (same bytes), not_modified
    (304), gone (404/410, kept), removed (404/410 with prune), error."""

    url: str
    state: str
    doc_id: str | None = None
    message: str = ""
    error: SourceError | None = None

    @property
    def needs_ingest(self) -> bool:
        return self.state in ("new", "changed", "removed")


def parse_sources(entries: object, where: str) -> list[SourceSpec]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise IngestError(f"{where}: 'sources' must be a list of URLs or mappings")
    specs = []
    for n, entry in enumerate(entries, start=1):
        if isinstance(entry, str):
            entry = {"url": entry}
        if not isinstance(entry, dict):
            raise IngestError(f"{where}: source {n} must be a URL or a mapping")
        unknown = set(entry) - _KEYS
        if unknown:
            raise IngestError(f"{where}: source {n}: unknown key(s) {', '.join(sorted(unknown))}")
        if not entry.get("url") and not entry.get("sitemap"):
            raise IngestError(f"{where}: source {n} needs 'url' or 'sitemap'")
        many = entry.get("sitemap") or entry.get("follow")
        if many and (set(entry) & (OVERRIDABLE - _SHARED) or entry.get("id")):
            raise IngestError(
                f"{where}: source {n}: a sitemap or followed prefix gives many pages; only "
                f"{', '.join(sorted(_SHARED))} can be set for all of them"
            )
        limit = entry.get("limit")
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise IngestError(f"{where}: source {n}: 'limit' must be a positive whole number")
        try:
            specs.append(
                SourceSpec(
                    url=check_url(str(entry["url"])) if entry.get("url") else None,
                    sitemap=check_url(str(entry["sitemap"])) if entry.get("sitemap") else None,
                    follow=bool(entry.get("follow", False)),
                    prefix=str(entry["prefix"]) if entry.get("prefix") else None,
                    limit=limit,
                    doc_id=str(entry["id"]) if entry.get("id") else None,
                    overrides={k: str(v) for k, v in entry.items() if k in OVERRIDABLE} or None,
                )
            )
        except SourceError as exc:
            raise IngestError(f"{where}: source {n}: {exc.message}") from exc
    return specs


def load_sources_file(path: Path) -> list[SourceSpec]:
    """A YAML (or JSON) file with a top-level `sources:` list (or just the list)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise IngestError(f"{path}: invalid YAML ({exc})") from exc
    entries = data.get("sources") if isinstance(data, dict) else data
    return parse_sources(entries, str(path))


def manifest_sources(corpus_dir: Path) -> list[SourceSpec]:
    path = corpus_dir / MANIFEST
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise IngestError(f"{path}: invalid manifest ({exc})") from exc
    return parse_sources(data.get("sources"), str(path))


class Refresher:
    """Fetches pages into the library. `prune`: a page that answers 404/410 is removed (its
    chunks go at the next ingestion); otherwise it is kept, marked gone and reported."""

    def __init__(
        self,
        library: Library,
        client: WebClient,
        prune: bool = False,
        on_page: Callable[[PageOutcome], None] | None = None,
    ) -> None:
        self.library, self.client, self.prune = library, client, prune
        self.on_page = on_page
        self.outcomes: list[PageOutcome] = []

    def run(self, specs: list[SourceSpec]) -> list[PageOutcome]:
        for spec in specs:
            if spec.sitemap:
                self._sitemap(spec)
            elif spec.follow:
                self._follow(spec)
            else:
                self.page(spec.url or "", spec.doc_id, spec.overrides)
        return self.outcomes

    def refetch(self, records: list[LibraryRecord]) -> list[PageOutcome]:
        for record in records:
            if record.is_web:
                self.page(record.source, record.doc_id, record.overrides)
        return self.outcomes

    def page(
        self, url: str, doc_id: str | None = None, overrides: dict | None = None
    ) -> PageOutcome:
        """Fetch one page into the library and report what changed."""
        outcome = self._page(url, doc_id, overrides)
        self.outcomes.append(outcome)
        if self.on_page:
            self.on_page(outcome)
        return outcome

    def _page(self, url: str, doc_id: str | None, overrides: dict | None) -> PageOutcome:
        try:
            url = check_url(url)
        except SourceError as exc:
            return PageOutcome(url, "error", message=exc.message, error=exc)
        record = self.library.by_source(url)
        try:
            fetched = self.client.fetch(
                url,
                etag=record.etag if record else None,
                last_modified=record.last_modified if record else None,
            )
        except SourceError as exc:
            if exc.code == "not_found" and record is not None:
                return self._gone(record, exc)
            return PageOutcome(url, "error", record.doc_id if record else None, exc.message, exc)
        if fetched.status == 304 and record is not None:
            record.checked_at, record.status, record.missing_since = now_iso(), "ok", None
            if overrides is not None:
                record.overrides = overrides
            self.library.save(record)
            return PageOutcome(url, "not_modified", record.doc_id, "304 Not Modified")
        # A page that moved is kept under its new address (once, however many URLs lead there).
        source = fetched.final_url
        record = self.library.by_source(source)
        if record is None and source != url and (old := self.library.by_source(url)):
            old.source = source  # same document, new address
            self.library.save(old)
            record = old
        was_new = record is None
        extra = {"overrides": overrides} if overrides is not None else {}
        try:
            record, changed = self.library.store(
                source,
                fetched.body or b"",
                fetched.suffix,
                doc_id=doc_id,
                content_type=fetched.content_type,
                final_url=fetched.final_url,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
                **extra,
            )
        except IngestError as exc:
            return PageOutcome(url, "error", message=str(exc))
        state = "new" if was_new else ("changed" if changed else "unchanged")
        moved = f"redirected to {source}" if source != url else ""
        return PageOutcome(url, state, record.doc_id, moved)

    def _gone(self, record: LibraryRecord, exc: SourceError) -> PageOutcome:
        if self.prune:
            self.library.remove(record.doc_id)
            return PageOutcome(record.source, "removed", record.doc_id, exc.message, exc)
        if record.status != "gone":
            record.status, record.missing_since = "gone", now_iso()
        record.checked_at = now_iso()
        self.library.save(record)
        return PageOutcome(
            record.source,
            "gone",
            record.doc_id,
            f"{exc.message}; kept in the index since {record.missing_since} "
            "(run with --prune to remove it)",
            exc,
        )

    def _sitemap(self, spec: SourceSpec) -> None:
        limit = spec.limit or self.client.policy.page_limit
        try:
            urls = self.client.sitemap_urls(spec.sitemap or "", spec.prefix, limit)
        except SourceError as exc:
            self._report(PageOutcome(spec.sitemap or "", "error", message=exc.message, error=exc))
            return
        for url in urls:
            self.page(url, None, spec.overrides)

    def _follow(self, spec: SourceSpec) -> None:
        """Breadth-first from the start page over links under the prefix, each page fetched
        once (conditionally); links are read from the stored copy, also after a 304."""
        start = spec.url or ""
        prefix = spec.prefix or default_prefix(start)
        limit = spec.limit or self.client.policy.page_limit
        todo, seen, done = deque([start]), {start}, 0
        while todo and done < limit:
            url = todo.popleft()
            outcome = self.page(url, None, spec.overrides)  # robots.txt is checked there
            done += 1
            record = self.library.by_source(url)
            if outcome.state == "error" or record is None or not record.file.endswith(".html"):
                continue
            body = self.library.path(record).read_bytes()
            for link in links_under(body, record.final_url or url, prefix):
                if link not in seen:
                    seen.add(link)
                    todo.append(link)

    def _report(self, outcome: PageOutcome) -> None:
        self.outcomes.append(outcome)
        if self.on_page:
            self.on_page(outcome)
