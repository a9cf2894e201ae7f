"""Turning chosen quotes into a Swedish answer with numbered, checked citations."""

from __future__ import annotations

import re
from datetime import date

from ingest.models import Chunk

from .models import Answer, Citation, Hit

SV_MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]
_TIME_WORDS = re.compile(
    r"\b(beräknas|planeras|pågår|påbörja\w*|fortgår|just nu|nyligen|kommer att|ska vara klar|"
    r"arbetas fram|hösten|våren|vintern|sommaren)\b",
    re.I,
)
REFUSAL_LEAD = "Det framgår inte av källorna"


def swedish_date(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {SV_MONTHS[d.month - 1]} {d.year}"


def chunk_url(chunk: Chunk) -> str:
    return f"/dokument/{chunk.doc_id}#{chunk.chunk_id}"


class CitationBook:
    """Numbers cited chunks in order of first use; every quote must be in its chunk."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._by_chunk: dict[str, int] = {}

    def cite(self, chunk: Chunk, quote: str) -> int:
        if quote not in chunk.text:
            raise ValueError(f"quote is not a substring of chunk {chunk.chunk_id}")
        if chunk.chunk_id in self._by_chunk:
            return self._by_chunk[chunk.chunk_id]
        n = len(self.citations) + 1
        self._by_chunk[chunk.chunk_id] = n
        self.citations.append(
            Citation(
                id=n,
                doc_id=chunk.doc_id,
                title=chunk.meta.title,
                page=chunk.page,
                section=chunk.section or None,
                date=chunk.meta.date,
                date_label=chunk.meta.date_label or swedish_date(chunk.meta.date),
                quote=quote,
                chunk_id=chunk.chunk_id,
                url=chunk_url(chunk),
            )
        )
        return n

    def extend_quote(self, n: int, quote: str) -> None:
        """A second quote from an already cited chunk joins the first (both in the chunk)."""
        c = self.citations[n - 1]
        if quote not in c.quote:
            c.quote = c.quote + " … " + quote


def currency_notes(citations: list[Citation], chunks: dict[str, Chunk], today: date) -> list[str]:
    """Say when an answer rests on a plan whose period has passed, or on a page's statement
    about plans and dates that may have changed since it was last updated."""
    notes: list[str] = []
    seen: set[str] = set()
    for c in citations:
        chunk = chunks[c.chunk_id]
        meta = chunk.meta
        if meta.doc_id in seen:
            continue
        if meta.valid_to and date.fromisoformat(meta.valid_to) < today:
            label = meta.validity_label or f"{meta.title} gällde till {swedish_date(meta.valid_to)}"
            notes.append(f"Observera: {label} [{c.id}].")
            seen.add(meta.doc_id)
        elif meta.date and _TIME_WORDS.search(c.quote) and _older_than_a_year(meta.date, today):
            when = meta.date_label or f"daterad {swedish_date(meta.date)}"
            notes.append(
                f"Observera: uppgiften gäller enligt sidan ”{meta.title}”, {when} "
                f"[{c.id}]; den kan ha ändrats sedan dess."
            )
            seen.add(meta.doc_id)
    return notes


def _older_than_a_year(iso: str, today: date) -> bool:
    try:
        return (today - date.fromisoformat(iso)).days > 365
    except ValueError:
        return False


def refusal(
    question: str,
    hits: list[Hit],
    reason: str,
    mode: str = "extractive",
    instructions: bool = False,
) -> Answer:
    if instructions:
        lines = [
            "Jag svarar bara på frågor utifrån källorna och följer inte instruktioner i "
            "frågan. Ställ gärna en fråga om samverkan i Örebro län."
        ]
    else:
        lines = [
            f"{REFUSAL_LEAD} – jag hittar inget i dokumenten som besvarar frågan, så jag "
            f"gissar inte."
        ]
    closest = _distinct_sources(hits, 3)
    if closest:
        lines.append("Närmast i källorna finns:")
        lines.extend(f"• {_source_label(h.chunk)}" for h in closest)
    return Answer(
        question=question,
        answer="\n".join(lines),
        refused=True,
        mode=mode,
        sources=hits,
        notes=[reason],
    )


def _distinct_sources(hits: list[Hit], n: int) -> list[Hit]:
    out, seen = [], set()
    for h in hits:
        key = (h.chunk.doc_id, h.chunk.section)
        if key not in seen:
            seen.add(key)
            out.append(h)
        if len(out) == n:
            break
    return out


def _source_label(chunk: Chunk) -> str:
    where = f", s. {chunk.page}" if chunk.page else ""
    section = f" – {chunk.section}" if chunk.section else ""
    when = f" ({swedish_date(chunk.meta.date)})" if chunk.meta.date else ""
    return f"{chunk.meta.title}{section}{where}{when}"
