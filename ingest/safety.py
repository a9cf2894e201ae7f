"""Passages that must never be quoted as advice: requests to send passwords, personal
identity numbers (personnummer) or other credentials, and instructions to ignore
instructions. A corpus text can be wrong or planted (a phishing mail pasted into a page);
the assistant quotes its sources, so such a passage would come out as the region's advice.

Ingestion logs every flagged passage with its document; the answerer never quotes one
(assistant.units.looks_like_injection calls `asks_for_secrets`). Every pattern is linear
time: literal alternatives and bounded gaps only, no nested repetition."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import split_sentences

# What a reader must never be asked to hand over: their own credentials or identity number,
# so a possessive comes first ("ditt lösenord", "your password"); "ange patientens
# personnummer i remissen" is ordinary practice, and a question that only mentions a
# password ("Hur byter jag mitt lösenord?") is not a request.
_SECRET = (
    r"(?:ditt|din|dina|ert|era|your)\s+(?:\w+\s+){0,2}?"
    r"(?:(?:lösenord|inloggningsuppgift|användaruppgift|kontouppgift|bank-?id-?(?:kod|uppgift)|"
    r"pin-?kod|engångskod|säkerhetskod|verifieringskod|kortnummer|personnummer|person-?nr|"
    r"samordningsnummer|password|passcode|credential|login detail|log-in detail|"
    r"social security number|personal identity number)\w*|pin\b)"
)
# Asking for it, in the imperative: send, give, enter, reply with ...
_ASK = (
    r"(?:skicka|mejla|maila|e-posta|eposta|sms:a|smsa|ange|uppge|lämna|fyll i|skriv in|"
    r"skriv|bifoga|dela|delge|svara med|bekräfta|verifiera|send|e-?mail|give|provide|"
    r"enter|share|reply with|confirm|type in|submit)"
)
# The secret within a short gap after the request ("skicka ditt nuvarande lösenord och ditt
# personnummer i mejlet"), bounded so that matching stays linear.
_REQUEST = re.compile(rf"\b{_ASK}\b(?P<gap>[^.!?\n]{{0,60}}?)\b{_SECRET}", re.IGNORECASE)
# "Skicka aldrig ditt lösenord": a warning, which is good advice to quote.
_NEGATION = re.compile(r"\b(?:aldrig|inte|ej|never|not|don't|do not)\b", re.IGNORECASE)
_NEGATION_BEFORE = 30
_IGNORE = re.compile(
    r"\b(?:ignorera|strunta i|bortse från|glöm|ignore|disregard|forget)\s+"
    r"(?:alla\s+|all\s+|the\s+)?(?:tidigare|föregående|ovanstående|dina|previous|prior|above|your)"
    r"\s+(?:instruktioner|regler|anvisningar|instructions|rules)",
    re.IGNORECASE,
)


def asks_for_secrets(text: str) -> bool:
    """True when the text asks its reader to hand over a password, a personal identity
    number or other credentials, or to ignore instructions."""
    if _IGNORE.search(text):
        return True
    for m in _REQUEST.finditer(text):
        before = text[max(0, m.start() - _NEGATION_BEFORE) : m.start()]
        if not _NEGATION.search(m.group("gap")) and not _NEGATION.search(before):
            return True
    return False


@dataclass(frozen=True)
class FlaggedPassage:
    doc: str  # the file (or doc id) the passage came from
    text: str


def flagged_passages(doc: str, text: str) -> list[FlaggedPassage]:
    """The sentences of a document's text that `asks_for_secrets` flags."""
    if not asks_for_secrets(text):  # one scan of the whole text; most documents stop here
        return []
    return [FlaggedPassage(doc, s) for s in split_sentences(text) if asks_for_secrets(s)]
