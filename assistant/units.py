"""Answer units: the sentences, list items and whole lists of a chunk, each an exact
substring of the chunk text, so that any quote built from them can be checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.clean import BULLET
from ingest.models import Chunk
from ingest.safety import asks_for_secrets
from ingest.text import final_mark, word_count
from ingest.units import split_units

from .language import terms

# A short answer, a product decision (not fitted): at most four quotes, and no more than
# WORD_CAP words in all unless the leading unit alone is longer (it is quoted whole). A cap
# per answer rather than a typical length: a user reads each answer, not the median one.
MAX_UNITS = 4
WORD_CAP = 75


@dataclass
class Unit:
    text: str
    chunk: Chunk
    kind: str  # "sentence" | "item" | "list"
    terms: set[str] = field(default_factory=set)
    lead: str | None = None  # the lead-in of a list or item

    def __post_init__(self) -> None:
        self.terms = set(terms(self.text + " " + (self.lead or "")))


def chunk_units(chunk: Chunk) -> list[Unit]:
    return [Unit(u.text, chunk, u.kind, lead=u.lead) for u in split_units(chunk.text)]


def is_section(unit: Unit) -> bool:
    """A list of sentences longer than an answer (WORD_CAP): prose laid out as bullets, each
    item a claim of its own, rather than an enumeration that answers as a whole. Quoted
    whole, as a leading unit longer than the cap is, its many words meet a little of every
    question ("• Dels har vårdbehovet förändrats. … • Dels står vi inför …", 243 words, led
    32 of dev's answers), so it answers as its items do, except a question that asks for
    the things it lists ("Vilka risker …?" of a list introduced as risks: scoring.introduces).
    An enumeration of names or phrases stays a unit at any length ("• Minskad
    klimatpåverkan • Giftfri miljö • …"). Ingestion still embeds a section: retrieval's unit
    ranker finds its chunk by it."""
    if unit.kind != "list" or word_count(unit.text) <= WORD_CAP:
        return False
    items = [line.strip() for line in unit.text.split("\n") if BULLET.match(line)]
    return bool(items) and all(is_sentence(item) for item in items)


def is_sentence(text: str) -> bool:
    """Whether the text ends as a sentence does (a full stop, a question or an exclamation
    mark, or an ellipsis, before any closing quote or bracket)."""
    return final_mark(text) in (".", "!", "?", "…")


def is_question(text: str) -> bool:
    return final_mark(text) == "?"


_INJECTION = re.compile(
    r"(ignorera|strunta i|bortse från|glöm)\s+(alla\s+)?(tidigare|föregående|ovanstående|dina)\s+"
    r"(instruktioner|regler|anvisningar)|ignore\s+(all\s+)?(previous|prior|above)\s+instructions|"
    r"\bsystemprompt|\bsystem prompt|du är nu\b|you are now\b|svara alltid\b|always answer\b|"
    r"glöm allt|från och med nu ska du|forget everything|from now on you|"
    r"(ignorera|strunta i|bortse från) (alla |dina )?(källor|källorna|regler|reglerna)|"
    r"(skriv|svara|påstå)\w* (bara |endast )?att\b",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """Text that addresses the assistant instead of the reader; never quoted or obeyed."""
    return bool(_INJECTION.search(text)) or asks_for_secrets(text)


def strip_instructions(question: str) -> tuple[str, bool]:
    """The question without sentences that try to instruct the assistant."""
    from ingest.text import split_sentences

    kept = [s for s in split_sentences(question) if not looks_like_injection(s)]
    cleaned = " ".join(kept).strip()
    return cleaned, cleaned != question.strip()
