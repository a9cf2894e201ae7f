"""Documents that came from outside the corpus folder: fetched web pages and uploaded files.

Each is kept raw under `<data>/library/files/` beside one record in `library.json` with its
source, HTTP validators (ETag, Last-Modified) and dates, so that a re-fetch can be conditional
and ingestion can rebuild its chunks without the network. Files and the record list are
replaced atomically: an interrupted write leaves the previous state."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .errors import IngestError
from .manifest import slugify
from .models import DocumentMeta, LoadedDocument

RECORDS = "library.json"
# Metadata a sources entry (or the manifest) may set for a page; it overrides the page's own.
# (Its URL is the page's own canonical address, or where it was fetched from.)
OVERRIDABLE = {f.name for f in fields(DocumentMeta)} - {"doc_id", "file", "url"}


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class LibraryRecord:
    doc_id: str
    source: str  # the URL as given, or "upload:<file name>"
    file: str  # relative to the library folder
    content_hash: str
    content_type: str = ""
    final_url: str | None = None  # after redirects
    etag: str | None = None
    last_modified: str | None = None
    added_at: str = field(default_factory=now_iso)
    fetched_at: str | None = None  # the content last changed or was downloaded
    checked_at: str | None = None  # last request, including 304 answers
    status: str = "ok"  # "ok" | "gone" (the server says 404/410; kept until pruned)
    missing_since: str | None = None
    overrides: dict = field(default_factory=dict)

    @property
    def is_web(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    def metadata(self, doc: LoadedDocument) -> DocumentMeta:
        """The page's own metadata, overridden field by field by the sources entry."""
        o = self.overrides
        url = self.final_url or (self.source if self.is_web else "")
        own_date = bool(o.get("date"))
        return DocumentMeta(
            doc_id=self.doc_id,
            title=o.get("title") or doc.inferred_title or _fallback_title(self),
            publisher=o.get("publisher")
            or doc.inferred_publisher
            or (urlsplit(url).hostname or "" if url else ""),
            kind=o.get("kind") or ("webbsida" if self.is_web else "dokument"),
            date=o.get("date") or doc.inferred_date,
            # a date given in the sources entry makes the page's own wording stale
            date_label=o.get("date_label") or (None if own_date else doc.inferred_date_label),
            valid_to=o.get("valid_to"),
            validity_label=o.get("validity_label"),
            original_form=o.get("original_form") or _original_form(self),
            url=doc.inferred_url or url,
            file=f"library/{self.file}",
        )


def _fallback_title(record: LibraryRecord) -> str:
    name = record.source.removeprefix("upload:")
    return Path(urlsplit(name).path).stem or name


def _original_form(record: LibraryRecord) -> str:
    suffix = Path(record.file).suffix.lower()
    form = {
        ".html": "HTML-sida",
        ".pdf": "PDF",
        ".docx": "Word-dokument",
        ".md": "Markdown",
        ".txt": "text",
    }.get(suffix, suffix.lstrip(".").upper())
    return f"{form} (hämtad från webben)" if record.is_web else f"{form} (uppladdad)"


class Library:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = root / "files"

    # --- records -------------------------------------------------------------

    def records(self) -> list[LibraryRecord]:
        path = self.root / RECORDS
        if not path.exists():
            return []
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))["documents"]
            known = {f.name for f in fields(LibraryRecord)}
            return [LibraryRecord(**{k: v for k, v in r.items() if k in known}) for r in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise IngestError(f"{path}: unreadable document library ({exc})") from exc

    def get(self, doc_id: str) -> LibraryRecord | None:
        return next((r for r in self.records() if r.doc_id == doc_id), None)

    def by_source(self, source: str) -> LibraryRecord | None:
        return next((r for r in self.records() if r.source == source), None)

    def save(self, record: LibraryRecord) -> None:
        rows = [r for r in self.records() if r.doc_id != record.doc_id]
        self._write_records([*rows, record])

    def remove(self, doc_id: str) -> LibraryRecord | None:
        """Forget a document and delete its raw file; the next ingestion drops its chunks."""
        rows = self.records()
        gone = next((r for r in rows if r.doc_id == doc_id), None)
        if gone is None:
            return None
        self._write_records([r for r in rows if r.doc_id != doc_id])
        (self.root / gone.file).unlink(missing_ok=True)
        return gone

    def path(self, record: LibraryRecord) -> Path:
        return self.root / record.file

    # --- content -------------------------------------------------------------

    def store(
        self, source: str, data: bytes, suffix: str, doc_id: str | None = None, **fields_
    ) -> tuple[LibraryRecord, bool]:
        """Keep `data` as the content of `source`. Returns the record and whether the content
        is new or changed (an identical body changes only the dates and validators)."""
        existing = self.by_source(source)
        digest = sha256(data)
        now = now_iso()
        if existing is not None:
            record = existing
            changed = record.content_hash != digest or not self.path(record).exists()
            if doc_id and doc_id != record.doc_id:
                raise IngestError(
                    f"{source} is already in the library as '{record.doc_id}'; "
                    f"remove it first to give it the id '{doc_id}'"
                )
        else:
            record = LibraryRecord(
                doc_id=self._new_id(source, doc_id), source=source, file="", content_hash=""
            )
            changed = True
        file = f"files/{record.doc_id}{suffix}"
        if changed or record.file != file:
            _atomic_write(self.root / file, data)
            if record.file and record.file != file:
                (self.root / record.file).unlink(missing_ok=True)
            record.fetched_at = now
        for key, value in fields_.items():
            setattr(record, key, value)
        record.file, record.content_hash, record.checked_at = file, digest, now
        record.status, record.missing_since = "ok", None
        self.save(record)
        return record, changed

    def _new_id(self, source: str, wanted: str | None) -> str:
        taken = {r.doc_id for r in self.records()}
        if wanted:
            wanted = slugify(wanted)
            if wanted in taken:
                raise IngestError(f"the document id '{wanted}' is already taken")
            return wanted
        name = source.removeprefix("upload:")
        parts = urlsplit(name)
        if parts.netloc:  # a URL: its path without the extension, else the host name
            path = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", parts.path.strip("/"))
            base = slugify(path or parts.hostname or "sida")
        else:
            base = slugify(Path(name).stem)
        if base not in taken:
            return base
        return f"{base}-{sha256(source.encode())[:6]}"

    def _write_records(self, rows: list[LibraryRecord]) -> None:
        data = {"documents": [asdict(r) for r in sorted(rows, key=lambda r: r.doc_id)]}
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        _atomic_write(self.root / RECORDS, text.encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
