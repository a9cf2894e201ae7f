"""Acronyms and terms the corpus defines ("Samordnad individuell plan (SIP)"), found
in the chunk texts. Used for query expansion both ways and for the Ordlista view."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.models import Chunk

# The lookbehind only skips starts inside a word: the leftmost match always starts at a word
# start, so the matches are the same, found ~6x faster (this runs over every chunk at load).
_PAREN = re.compile(r"(?<![\w\-])((?:[\w\-]+[ ,]+){1,7}?)\(([A-ZÅÄÖ][A-ZÅÄÖa-z/\-]{1,9})\)")
_DASH = re.compile(
    r"\b([A-ZÅÄÖ]{2,}(?:/[A-ZÅÄÖ]{2,})?)\s+[-–]\s+([A-ZÅÄÖa-zåäö][^.\n•]{5,140}?)(?=\s+[-–]\s|\s*$|\.)"
)
_COMMA = re.compile(r"\b((?:[a-zåäö\-]+ ){1,5}[a-zåäö\-]+), ([A-ZÅÄÖ]{2,6}),")
_MODEL = re.compile(r"\b([A-ZÅÄÖ][A-Za-zåäö]+-modellen), (en [^.]{5,120})")


@dataclass(frozen=True)
class Term:
    term: str
    explanation: str
    chunk_id: str
    doc_id: str
    title: str


def _initials_match(acronym: str, words: list[str]) -> bool:
    """The acronym's letters appear in order in the long form, the first one in its first
    word (a compound's head may give it: "Örebroregionens utvecklingsstrategi (RUS)")."""
    letters = [c.lower() for c in acronym if c.isalpha()]
    text = " ".join(words).lower()
    if not words or not letters or letters[0] not in words[0].lower():
        return False
    pos = 0
    for ch in letters:
        pos = text.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def _long_form(acronym: str, preceding: str) -> str | None:
    words = [w.strip(",") for w in preceding.split() if w.strip(",")]
    # Shortest tail of the preceding words that spells the acronym.
    for start in range(len(words) - 1, -1, -1):
        tail = words[start:]
        long_enough = (
            len(tail) >= min(len(acronym), 2) - 1 and len(" ".join(tail)) > len(acronym) + 2
        )
        if long_enough and _initials_match(acronym, tail):
            return " ".join(tail)
    return None


# Where a match can end: "(" before an acronym's capital, ", ACR," for _COMMA. The patterns
# run only in a window before each (a match cannot cross a parenthesis or capitals), which
# finds the same matches as scanning the whole text, ~5x faster (this runs at every ingest).
_PAREN_ANCHOR = re.compile(r"\((?=[A-ZÅÄÖ])")
_COMMA_ANCHOR = re.compile(r", (?=[A-ZÅÄÖ]{2,6},)")
_WINDOW = 400


def _anchored(pattern: re.Pattern, anchor: re.Pattern, text: str, at):
    """pattern.finditer(text), searching only before each anchor: the match of an anchor is
    the one that `at` places at the anchor."""
    for a in anchor.finditer(text):
        p = a.start()
        for m in pattern.finditer(text, max(0, p - _WINDOW), p + 20):
            if at(m) == p:
                yield m
                break


def extract_terms(chunks: list[Chunk]) -> list[Term]:
    """Definitions by the strength of their pattern: "long form (ACR)" first, then "long
    form, ACR," and "X-modellen, en …", last "ACR – explanation" (which is also how figure
    captions look, so it counts only when the explanation spells the acronym)."""
    found: dict[str, tuple[int, Term]] = {}

    def add(term: str, explanation: str, chunk: Chunk, strength: int = 0) -> None:
        key = term.lower()
        if explanation.lower() == key or (key in found and found[key][0] <= strength):
            return
        found[key] = (
            strength,
            Term(term, explanation.strip(" ,"), chunk.chunk_id, chunk.doc_id, chunk.meta.title),
        )

    for chunk in sorted(chunks, key=lambda c: (c.doc_id, c.position)):
        text = chunk.text.replace("\n", " ")
        for m in _anchored(_PAREN, _PAREN_ANCHOR, text, lambda m: m.start(2) - 1):
            acronym = m.group(2)
            if len(acronym.replace("/", "")) < 2 or acronym.isdigit():
                continue
            long_form = _long_form(acronym, m.group(1))
            if long_form:
                add(acronym, long_form[0].upper() + long_form[1:], chunk)
        for m in _DASH.finditer(text):
            if _initials_match(m.group(1), m.group(2).split()):
                add(m.group(1), m.group(2), chunk, strength=2)
        for m in _anchored(_COMMA, _COMMA_ANCHOR, text, lambda m: m.end(1)):
            if _initials_match(m.group(2), m.group(1).split()[-3:]) or len(m.group(2)) <= 3:
                long_form = _long_form(m.group(2), m.group(1)) or m.group(1)
                add(m.group(2), long_form[0].upper() + long_form[1:], chunk, strength=1)
        for m in _MODEL.finditer(text):
            add(m.group(1).split("-")[0], f"{m.group(1)}: {m.group(2)}", chunk, strength=1)
    return sorted((t for _, t in found.values()), key=lambda t: t.term.lower())
