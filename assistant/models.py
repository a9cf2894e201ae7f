"""What the assistant returns: hits, citations and answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ingest.models import Chunk


@dataclass
class Hit:
    chunk: Chunk
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    dense_similarity: float | None = None
    unit_rank: int | None = None  # rank of the chunk's best unit by meaning


@dataclass
class Citation:
    id: int
    doc_id: str
    title: str
    page: int | None
    section: str | None
    date: str | None
    date_label: str | None
    quote: str
    chunk_id: str
    url: str


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    mode: str  # "extractive" | "partial" (hedged: no unit clearly answers) | "llm"
    citations: list[Citation] = field(default_factory=list)
    sources: list[Hit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why a fallback or refusal happened
    resolved_question: str | None = None
    diagnostics: dict = field(default_factory=dict)  # scores behind the decision (not shown)
    confidence: float | None = None  # the policy's probability that the sources answer

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "mode": self.mode,
            "confidence": self.confidence,
            "citations": [asdict(c) for c in self.citations],
            "sources": [source_dict(h) for h in self.sources],
            "notes": self.notes,
            "resolved_question": self.resolved_question,
            "diagnostics": self.diagnostics,
        }


def source_dict(hit: Hit, with_text: bool = True) -> dict:
    c = hit.chunk
    out = {
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "title": c.meta.title,
        "page": c.page,
        "section": c.section or None,
        "date": c.meta.date,
        "score": round(hit.score, 6),
    }
    if with_text:
        out["text"] = c.text
    return out
