"""Resolving follow-up questions ("Och vem leder den?") against the conversation."""

from __future__ import annotations

import re

_CONTEXT_WORDS = re.compile(
    r"^\s*(och|men|samt|också|även|vad mer|hur då|and|what about|also)\b|"
    # the pronouns that point back (personal and possessive, Swedish and English)
    r"\b(den|det|dem|dessa|denna|detta|de|där|dit|han|hon|honom|henne|hans|hennes|dennes|dess|"
    r"deras|it|they|them|that|this|its|he|she|him|his|her|their)\b",
    re.IGNORECASE,
)


def needs_context(question: str) -> bool:
    return len(question.split()) <= 9 and bool(_CONTEXT_WORDS.search(question))


def previous_topic(history: list[dict]) -> str | None:
    for turn in reversed(history):
        if turn.get("role") == "user" and turn.get("content", "").strip():
            return turn["content"].strip()
    return None


def carry_over(question: str, history: list[dict] | None) -> str:
    """Deterministic resolution: the follow-up plus the previous question as context."""
    if not history or not needs_context(question):
        return question
    prev = previous_topic(history)
    return f"{question} {prev}" if prev else question
