"""The answer units of a chunk: its sentences, list items and whole lists, each an exact
substring of the chunk text. Ingestion embeds them once so that answering never has to;
the assistant scores and quotes them."""

from __future__ import annotations

from typing import NamedTuple

from .clean import BULLET
from .text import split_sentences


class UnitSpan(NamedTuple):
    text: str
    kind: str  # "sentence" | "item" | "list"
    lead: str | None  # the lead-in sentence of a list or item


def split_units(text: str) -> list[UnitSpan]:
    units: list[UnitSpan] = []
    for para in text.split("\n\n"):
        lines = para.split("\n")
        bullet_at = next((i for i, ln in enumerate(lines) if BULLET.match(ln)), None)
        prose = "\n".join(lines if bullet_at is None else lines[:bullet_at])
        sentences = [s for s in split_sentences(prose) if s in text]
        units.extend(UnitSpan(s, "sentence", None) for s in sentences)
        if bullet_at is None:
            continue
        lead = sentences[-1] if sentences else None
        items = [ln.strip() for ln in lines[bullet_at:] if ln.strip()]
        bullets = "\n".join(lines[bullet_at:])
        # a list is its lead-in sentence and its items, not the whole paragraph before it:
        # a long unit matches every question a little and would crowd out the one that answers
        with_lead = f"{lead}\n{bullets}" if lead else None
        block = with_lead if with_lead and with_lead in text else bullets
        if block in text:
            units.append(UnitSpan(block, "list", lead))
        units.extend(UnitSpan(item, "item", lead) for item in items if item in text)
    return units


def unit_texts(text: str) -> list[str]:
    """The distinct unit texts of a chunk, in order (what ingestion embeds)."""
    return list(dict.fromkeys(u.text for u in split_units(text)))
