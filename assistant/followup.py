"""What a message asks: its asking part, and follow-up questions ("Och vem leder den?")
resolved against the conversation."""

from __future__ import annotations

import re

from ingest.text import split_sentences

from .units import is_question

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


def asked_part(message: str) -> str:
    """The message from its first sentence that ends with "?": the statements before it are
    the asker's context ("Jag är ny som enhetschef."), and as search words they pull in
    passages about the wrong thing and hide the question word the answer's shape is read
    from. Kept whole when there is no such sentence, when the message starts with it, or when
    the question points back into what was said before it ("… färdplanen. När blir den
    klar?")."""
    sentences = split_sentences(message)
    first = next((i for i, s in enumerate(sentences) if is_question(s)), 0)
    if not first or needs_context(sentences[first]):
        return message
    return " ".join(sentences[first:])
