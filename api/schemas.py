"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.chunking import MAX_CHUNK_CHARS


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class AskRequest(BaseModel):
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list, max_length=200)


class CitationOut(BaseModel):
    id: int
    doc_id: str
    title: str
    page: int | None
    section: str | None
    date: str | None
    date_label: str | None = None
    quote: str
    chunk_id: str
    url: str


class SourceOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    page: int | None
    section: str | None
    date: str | None = None
    # the retrieval's fused score: it orders the passages of one search, nothing more (the
    # fitted fusion's scores are not probabilities and may be negative)
    score: float
    text: str


class AskResponse(BaseModel):
    question: str
    answer: str
    refused: bool
    # "partial": no passage clearly answers; the closest are quoted after a Swedish hedge
    mode: Literal["extractive", "partial", "llm"]
    confidence: float | None = None  # the answer policy's probability that the sources answer
    citations: list[CitationOut]
    sources: list[SourceOut]
    notes: list[str] = Field(default_factory=list)
    resolved_question: str | None = None


class SearchResponse(BaseModel):
    query: str
    results: list[SourceOut]


class FeedbackCitation(BaseModel):
    """A citation as the answer gave it; what is stored with the feedback, bounded."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = None
    doc_id: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=300)
    page: int | None = None
    section: str | None = Field(default=None, max_length=300)
    date: str | None = Field(default=None, max_length=40)
    date_label: str | None = Field(default=None, max_length=100)
    quote: str = Field(default="", max_length=MAX_CHUNK_CHARS)  # a quote is part of a chunk
    chunk_id: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=500)


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    publisher: str
    kind: str
    date: str | None
    date_label: str | None
    valid_to: str | None
    validity_label: str | None
    expired: bool
    original_form: str
    url: str | None  # the page's own web address, when the manifest gives one
    original_url: str | None  # the original file (PDFs) served by the app
    file: str


class DocumentSummaryOut(DocumentOut):
    chunks: int


class DocumentsResponse(BaseModel):
    documents: list[DocumentSummaryOut]


class DocumentChunkOut(BaseModel):
    chunk_id: str
    text: str
    page: int | None
    section: str | None
    position: int


class DocumentDetailOut(DocumentOut):
    chunks: list[DocumentChunkOut]


class ChunkOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    page: int | None
    section: str | None
    date: str | None
    date_label: str | None
    text: str
    position: int
    prev_chunk_id: str | None
    next_chunk_id: str | None
    doc_url: str
    url: str
    web_url: str | None
    original_url: str | None


class GlossaryTermOut(BaseModel):
    term: str
    explanation: str
    chunk_id: str
    doc_id: str
    title: str
    url: str


class GlossaryResponse(BaseModel):
    terms: list[GlossaryTermOut]


class StartersResponse(BaseModel):
    questions: list[str]


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready", "empty", "starting"]
    documents: int | None = None
    chunks: int | None = None
    embedding_model: str | None = None
    llm: str | None = None
    index_version: int | None = None  # the store's index counter the service serves
    index_changed: bool | None = None  # the store holds a newer index than the one served


class FeedbackRequest(BaseModel):
    """Sizes bound what one row can hold (under 45 KB): an answer is a few sentences with a
    handful of citations."""

    question: str = Field(min_length=1, max_length=1000)
    answer: str = Field(max_length=6000)
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=10)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=1000)


class FeedbackResponse(BaseModel):
    ok: bool
    id: int


class TextPart(BaseModel):
    """An OpenAI content part; only text parts are read, and their text must be text."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field(max_length=50)
    text: str | None = Field(default=None, max_length=8000)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[TextPart] | None = Field(default=None, max_length=8000)


class ChatCompletionRequest(BaseModel):
    model: str = Field(default="samverkansassistenten", max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    stream_options: dict | None = None  # {"include_usage": true}: a last chunk with usage


class AddDocumentRequest(BaseModel):
    """POST /api/admin/documents: a URL (JSON) or, in a multipart form, these beside `file`."""

    url: str | None = Field(default=None, max_length=2000)
    follow: bool = False
    sitemap: bool = False
    prefix: str | None = Field(default=None, max_length=2000)
    limit: int | None = Field(default=None, ge=1, le=1000)
    prune: bool = False
    id: str | None = Field(default=None, max_length=80)
    title: str | None = Field(default=None, max_length=300)
    publisher: str | None = Field(default=None, max_length=300)
    kind: str | None = Field(default=None, max_length=100)
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    date_label: str | None = Field(default=None, max_length=200)


class AdminDocumentOut(BaseModel):
    doc_id: str
    title: str
    origin: Literal["corpus", "web", "upload"]
    source: str
    date: str | None
    date_label: str | None
    url: str
    chunks: int
    last_fetched: str | None
    last_checked: str | None
    status: Literal["indexed", "gone", "not indexed"]


class DocumentListResponse(BaseModel):
    documents: list[AdminDocumentOut]


class PageOut(BaseModel):
    url: str
    state: Literal["new", "changed", "unchanged", "not_modified", "gone", "removed", "error"]
    doc_id: str | None = None
    message: str = ""
    code: str | None = None


class IngestOut(BaseModel):
    documents: int
    chunks_added: int
    chunks_removed: int
    chunks_kept: int
    chunks_total: int
    errors: list[dict]
    warnings: list[dict] = Field(default_factory=list)  # ingested or skipped on purpose
    flagged_passages: int = 0  # passages asking for secrets: logged, never quoted


class DocumentChangeResponse(BaseModel):
    pages: list[PageOut]
    documents: list[AdminDocumentOut]
    ingest: IngestOut
