"""Checks every sentence of a generated answer against the passages it cites."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.models import Chunk
from ingest.text import split_sentences

from .language import terms
from .units import chunk_units

MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass
class CheckedSentence:
    text: str  # without markers
    cited: list[int]
    support: float
    ok: bool
    reason: str = ""


# What a generated sentence may not change: numbers (incl. years and dates) and proper
# names (capitalised words that do not start the sentence).
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NAME = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-ZÅÄÖ][\wåäöé-]+")


def unsupported_specifics(claim: str, passages: list[str]) -> list[str]:
    """Numbers and proper names of the claim that none of the cited passages contains."""
    text = " ".join(passages)
    low = text.lower()
    missing = [n for n in _NUMBER.findall(claim) if n not in text]
    missing += [w for w in _NAME.findall(claim.strip()) if w.lower() not in low and len(w) > 1]
    return missing


def support(claim: str, passages: list[str]) -> float:
    """Share of the claim's content terms found in the cited passages (stemmed)."""
    claim_terms = set(terms(claim))
    if not claim_terms:
        return 0.0
    passage_terms: set[str] = set()
    for p in passages:
        passage_terms.update(terms(p))
    return len(claim_terms & passage_terms) / len(claim_terms)


def support_text(chunk: Chunk) -> str:
    """What a citation vouches for: the passage, and its document's title and dates."""
    meta = chunk.meta
    labels = [meta.title, meta.date_label or "", meta.validity_label or "", meta.date or ""]
    return chunk.text + "\n" + " ".join(labels)


def claims(text: str) -> list[tuple[str, list[int]]]:
    """Sentences and list lines with their markers. Lines of a list carry the markers of
    their block (a quoted list is cited once, at its end)."""
    out: list[tuple[str, list[int]]] = []
    for block in re.split(r"\n\s*\n", text):
        block_markers = [int(n) for n in MARKER.findall(block)]
        is_list = any(ln.lstrip().startswith("•") for ln in block.split("\n"))
        for sentence in split_sentences(block):
            own = [int(n) for n in MARKER.findall(sentence)]
            out.append((sentence, own or (block_markers if is_list else [])))
    return out


def check_sentences(
    text: str, passages: dict[int, Chunk], threshold: float
) -> list[CheckedSentence]:
    out: list[CheckedSentence] = []
    for sentence, cited in claims(text):
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
        texts = [support_text(passages[n]) for n in cited]
        score = support(plain, texts)
        changed = unsupported_specifics(plain, texts)
        ok = score >= threshold and not changed
        reason = (
            "" if ok else (f"not in the source: {changed}" if changed else f"support {score:.2f}")
        )
        out.append(CheckedSentence(plain, cited, score, ok, reason))
    return out


def best_quote(claim: str, chunk: Chunk) -> str:
    """The unit of the chunk that shares most with the claim: an exact substring of it."""
    claim_terms = set(terms(claim))
    units = [u for u in chunk_units(chunk) if u.kind != "list"] or chunk_units(chunk)
    if not units:
        return chunk.text
    return max(units, key=lambda u: len(claim_terms & u.terms) / (1 + 0.01 * len(u.terms))).text
