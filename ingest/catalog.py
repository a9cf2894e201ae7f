"""Documents as objects the CLI and the admin API share: list them (source, date, chunk count,
last fetched), add a URL or a file, remove one, re-fetch one. Changes land in the library;
the next ingestion run brings the index in line."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError, SourceError
from .library import Library, LibraryRecord
from .loaders import load
from .settings import Settings
from .sources import PageOutcome, Refresher, SourceSpec
from .web import FetchPolicy, WebClient, human_size

UPLOAD_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
}


@dataclass(frozen=True)
class DocumentRow:
    doc_id: str
    title: str
    origin: str  # "corpus" | "web" | "upload"
    source: str  # corpus file, URL, or uploaded file name
    date: str | None
    date_label: str | None
    url: str
    chunks: int
    last_fetched: str | None = None
    last_checked: str | None = None
    status: str = "indexed"  # "indexed" | "gone" (404, kept) | "not indexed"


def list_documents(settings: Settings) -> list[DocumentRow]:
    """Every document in the index, plus library documents not (yet) in it."""
    metas = _indexed(settings)
    counts = Counter(m["doc_id"] for m in metas)
    first = {m["doc_id"]: m for m in reversed(metas)}
    records = {r.doc_id: r for r in Library(settings.library_dir).records()}
    rows = []
    for doc_id in sorted(set(first) | set(records)):
        meta, record = first.get(doc_id, {}), records.get(doc_id)
        origin = "corpus" if record is None else ("web" if record.is_web else "upload")
        status = "indexed" if doc_id in counts else "not indexed"
        if record is not None and record.status == "gone":
            status = "gone"
        rows.append(
            DocumentRow(
                doc_id=doc_id,
                title=meta.get("title") or doc_id,
                origin=origin,
                source=record.source.removeprefix("upload:") if record else meta.get("file", ""),
                date=meta.get("date"),
                date_label=meta.get("date_label"),
                url=meta.get("url", ""),
                chunks=counts.get(doc_id, 0),
                last_fetched=record.fetched_at if record else None,
                last_checked=record.checked_at if record and record.is_web else None,
                status=status,
            )
        )
    return sorted(rows, key=lambda r: r.title.lower())


def _indexed(settings: Settings) -> list[dict]:
    """Chunk metadata straight from Chroma (no embedding model needed to list)."""
    from .store import make_client

    client = make_client(settings)
    names = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
    if settings.collection not in names:
        return []
    got = client.get_collection(settings.collection).get(include=["metadatas"])
    return list(got["metadatas"])


def web_client(settings: Settings) -> WebClient:
    return WebClient(FetchPolicy.from_settings(settings))


def fetch_sources(
    settings: Settings,
    specs: list[SourceSpec],
    prune: bool = False,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> list[PageOutcome]:
    with web_client(settings) as client:
        return Refresher(Library(settings.library_dir), client, prune, on_page).run(specs)


def refetch(
    settings: Settings,
    doc_ids: list[str] | None = None,
    prune: bool = False,
    on_page: Callable[[PageOutcome], None] | None = None,
) -> list[PageOutcome]:
    """Re-check web documents (all, or these ids) with conditional requests."""
    library = Library(settings.library_dir)
    records = library.records()
    if doc_ids is not None:
        records = [_web_record(settings, library, d) for d in doc_ids]
    with web_client(settings) as client:
        return Refresher(library, client, prune, on_page).refetch(records)


def _web_record(settings: Settings, library: Library, doc_id: str) -> LibraryRecord:
    record = library.get(doc_id)
    if record is None:
        raise _unknown(settings, doc_id, "re-fetch")
    if not record.is_web:
        raise SourceError(
            "not_web",
            f"'{doc_id}' was uploaded, not fetched from the web; upload it again to replace it",
            f"”{doc_id}” laddades upp och hämtas inte från webben; ladda upp den igen.",
        )
    return record


def add_file(
    settings: Settings,
    name: str,
    data: bytes,
    doc_id: str | None = None,
    overrides: dict | None = None,
) -> tuple[LibraryRecord, bool]:
    """Keep an uploaded (or local) file in the library, after checking that it can be read.
    Uploading a file of the same name again replaces it."""
    name = Path(name.replace("\\", "/")).name  # no folders from a browser or a client
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_TYPES:
        raise SourceError(
            "unsupported_type",
            f"{name}: file type {suffix or '(none)'!r} is not supported "
            f"(supported: {', '.join(sorted(UPLOAD_TYPES))})",
            "Filtypen stöds inte; det går att lägga till PDF, Word (.docx), HTML, Markdown och "
            "text.",
        )
    if not data:
        raise SourceError("empty", f"{name}: the file is empty", f"Filen är tom: {name}")
    if len(data) > settings.max_upload_bytes:
        raise SourceError(
            "too_large",
            f"{name}: {len(data)} bytes exceeds the limit of {settings.max_upload_bytes} bytes "
            "(SAMVERKAN_MAX_UPLOAD_BYTES)",
            f"Filen är för stor (högst {human_size(settings.max_upload_bytes)}): {name}",
        )
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp, f"probe{suffix}")
        probe.write_bytes(data)
        try:
            load(probe)
        except IngestError as exc:
            raise SourceError(
                "unreadable", f"{name}: {exc}", f"Filen kunde inte läsas: {name} ({exc})"
            ) from exc
    extra = {"overrides": overrides} if overrides is not None else {}
    return Library(settings.library_dir).store(
        f"upload:{name}", data, suffix, doc_id=doc_id, content_type=UPLOAD_TYPES[suffix], **extra
    )


def remove_document(settings: Settings, doc_id: str) -> LibraryRecord:
    """Take a web page or uploaded file out of the library (its chunks go at the next
    ingestion). Corpus files are removed by deleting the file."""
    removed = Library(settings.library_dir).remove(doc_id)
    if removed is None:
        raise _unknown(settings, doc_id, "remove")
    return removed


def _unknown(settings: Settings, doc_id: str, action: str) -> SourceError:
    row = next((r for r in list_documents(settings) if r.doc_id == doc_id), None)
    if row is not None and row.origin == "corpus":
        return SourceError(
            "corpus_document",
            f"'{doc_id}' comes from the corpus folder ({row.source}); to {action} it, change "
            f"the file in {settings.corpus_dir} and run `samverkan ingest`",
            f"”{doc_id}” kommer från korpusmappen ({row.source}) och ändras där.",
        )
    return SourceError(
        "unknown_document",
        f"no document with id '{doc_id}' (see `samverkan documents list`)",
        f"Dokumentet ”{doc_id}” finns inte.",
    )
