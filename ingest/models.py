"""Plain data passed between the ingestion steps and read by the assistant."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    title: str
    publisher: str = ""
    kind: str = "dokument"
    date: str | None = None  # ISO date: last updated / adopted
    date_label: str | None = (
        None  # Swedish wording of the date, e.g. "senast uppdaterad 21 december 2022"
    )
    valid_to: str | None = None  # ISO date after which a plan no longer applies
    validity_label: str | None = None
    original_form: str = ""
    url: str = ""
    file: str = ""


@dataclass
class Page:
    """Text of one page (PDF) or of the whole document (page None), lightly marked:
    '# '/'## ' heading lines where the source format says so, blank lines between paragraphs."""

    number: int | None
    text: str


@dataclass
class LoadedDocument:
    path: Path
    pages: list[Page]
    inferred_title: str | None = None
    inferred_date: str | None = None
    # What a web page or file says about itself (HTML meta, "Senast uppdaterad …")
    inferred_date_label: str | None = None
    inferred_publisher: str | None = None
    inferred_url: str | None = None  # canonical URL


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    heading_path: list[str]
    position: int
    page: int | None
    content_hash: str
    meta: DocumentMeta
    extra: dict = field(default_factory=dict)

    @property
    def section(self) -> str:
        return " › ".join(self.heading_path[1:]) if len(self.heading_path) > 1 else ""

    def heading_line(self) -> str:
        return " › ".join(self.heading_path)

    def index_text(self) -> str:
        """What BM25 and the embedder see: the heading path gives the passage its context."""
        return self.heading_line() + "\n" + self.text
