"""Checks every sentence of a generated answer against the passages it cites."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.models import Chunk
from ingest.text import split_sentences

from .analysis import terms
from .units import chunk_units

MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass
class CheckedSentence:
    text: str  # without markers
    cited: list[int]
    support: float
    ok: bool
    reason: str = ""


def support(claim: str, passages: list[str]) -> float:
    """Share of the claim's content terms found in the cited passages (stemmed)."""
    claim_terms = set(terms(claim))
    if not claim_terms:
        return 0.0
    passage_terms: set[str] = set()
    for p in passages:
        passage_terms.update(terms(p))
    return len(claim_terms & passage_terms) / len(claim_terms)


def check_sentences(text: str, passages: dict[int, Chunk], threshold: float) -> list[CheckedSentence]:
    out: list[CheckedSentence] = []
    for sentence in split_sentences(text):
        cited = [int(n) for n in MARKER.findall(sentence)]
        plain = MARKER.sub("", sentence).strip()
        if not plain or not terms(plain):
            continue
        if not cited:
            out.append(CheckedSentence(plain, [], 0.0, False, "no citation"))
            continue
        missing = [n for n in cited if n not in passages]
        if missing:
            out.append(CheckedSentence(plain, cited, 0.0, False, f"cites unknown source {missing}"))
            continue
        score = support(plain, [passages[n].text for n in cited])
        ok = score >= threshold
        out.append(CheckedSentence(plain, cited, score, ok, "" if ok else f"support {score:.2f}"))
    return out


def best_quote(claim: str, chunk: Chunk) -> str:
    """The unit of the chunk that shares most with the claim: an exact substring of it."""
    claim_terms = set(terms(claim))
    units = [u for u in chunk_units(chunk) if u.kind != "list"] or chunk_units(chunk)
    if not units:
        return chunk.text
    return max(units, key=lambda u: len(claim_terms & u.terms) / (1 + 0.01 * len(u.terms))).text
