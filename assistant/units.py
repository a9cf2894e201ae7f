"""Answer units: the sentences, list items and whole lists of a chunk, each an exact
substring of the chunk text, so that any quote built from them can be checked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.models import Chunk
from ingest.safety import asks_for_secrets
from ingest.text import CLOSERS
from ingest.units import split_units

from .language import terms


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


def is_question(text: str) -> bool:
    return text.rstrip().rstrip(CLOSERS).endswith("?")


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
