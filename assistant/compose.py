"""Turning chosen quotes into a Swedish answer with numbered, checked citations."""

from __future__ import annotations

import re
from datetime import date

from ingest.clean import BULLET
from ingest.models import Chunk
from ingest.text import SV_MONTHS, split_sentences

from .models import Answer, Citation, Hit
from .units import Unit

_TIME_WORDS = re.compile(
    r"\b(beräknas|planeras|pågår|påbörja\w*|fortgår|just nu|nyligen|kommer att|ska vara klar|"
    r"arbetas fram|hösten|våren|vintern|sommaren)\b",
    re.I,
)
REFUSAL_LEAD = "Det framgår inte av källorna"
PARTIAL_LEAD = "Källorna säger inte exakt det, men närmast står:"
ENGLISH_REFUSAL = (
    "(In English: the sources do not answer this question, so I will not guess; "
    "the closest passages are listed below.)"
)


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

    def quote(self, chunk: Chunk, quote: str) -> int:
        """A citation for this exact quote: a quote inside one already cited from the chunk
        shares its number, any other quote gets its own, so every quote stays one exact
        substring of its chunk (a client can highlight it)."""
        for c in self.citations:
            if c.chunk_id == chunk.chunk_id and quote in c.quote:
                return c.id
        self._by_chunk.pop(chunk.chunk_id, None)
        return self.cite(chunk, quote)


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


def span(chunk: Chunk, first: str, last: str) -> str:
    """The exact text of the chunk from `first` through `last` (consecutive units)."""
    start = chunk.text.find(first)
    end = chunk.text.find(last, max(start, 0))
    if start < 0 or end < 0:
        return last
    return chunk.text[start : end + len(last)]


def quoted(unit: Unit, lead: Unit | None, follow: Unit | None) -> str:
    """What an answer quotes for a unit: from the sentence it points back to (`lead`) to what
    it announces (`follow`), one span of the chunk."""
    first, last = lead or unit, follow or unit
    if follow is not None and unit.text in follow.text:  # a list with its lead-in
        first = follow
    return span(unit.chunk, first.text, last.text)


def compose_quotes(
    question: str,
    units: list[tuple[Unit, Unit | None, Unit | None]],
    hits: list[Hit],
    today: date,
    partial: bool = False,
) -> Answer:
    """The chosen units, each quoted verbatim with its [n]; a unit that points back to the
    previous sentence ("Den leds av …") is quoted together with it, and one that announces
    the next ("… fem delmål:") together with what it announces."""
    book = CitationBook()
    parts: list[str] = []
    shown: list[Unit] = []
    for unit, lead, follow in units:
        text = quoted(unit, lead, follow)
        n = book.quote(unit.chunk, text)
        parts.append(_marked(text, n))
        shown.append(follow or unit)
    chunks = {u.chunk.chunk_id: u.chunk for u, _, _ in units}
    notes = currency_notes(book.citations, chunks, today)
    if any(u.kind == "list" or "\n" in p for u, p in zip(shown, parts, strict=True)):
        body = "\n\n".join(parts)
    else:
        body = "\n".join(parts) if any(u.kind == "item" for u in shown) else " ".join(parts)
    text = "\n\n".join([PARTIAL_LEAD, body, *notes] if partial else [body, *notes])
    return Answer(
        question=question,
        answer=text.strip(),
        refused=False,
        mode="partial" if partial else "extractive",
        citations=book.citations,
        sources=hits,
    )


def _marked(quote: str, n: int) -> str:
    """The quote with [n] after each of its sentences (a quote may span two, or a lead-in and
    its list), so that every claim carries its citation; list lines share the one at the end
    of their block."""
    lines = quote.split("\n")
    out = []
    for i, line in enumerate(lines):
        last = i == len(lines) - 1
        if BULLET.match(line) or not line.strip():
            out.append(f"{line} [{n}]" if last and line.strip() else line)
        else:
            out.append(" ".join(f"{sentence} [{n}]" for sentence in split_sentences(line)))
    return "\n".join(out)


def refusal(
    question: str,
    hits: list[Hit],
    reason: str,
    mode: str = "extractive",
    instructions: bool = False,
    english: bool = False,
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
        if english:
            lines.append(ENGLISH_REFUSAL)
    closest = distinct_sources(hits, 3)
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


def distinct_sources(hits: list[Hit], n: int) -> list[Hit]:
    """The first `n` hits from different sections (a refusal's "closest passages")."""
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
