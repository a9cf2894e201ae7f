"""Small Swedish text utilities shared by ingestion, retrieval, answers and evals."""

from __future__ import annotations

import re
import unicodedata

# Swedish month names, January first (dates in answers, manifests and questions).
SV_MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)

# Abbreviations whose period does not end a sentence.
_ABBREV = [
    "t.ex.",
    "bl.a.",
    "m.m.",
    "d.v.s.",
    "dvs.",
    "s.k.",
    "o.s.v.",
    "osv.",
    "inkl.",
    "ca.",
    "resp.",
    "jfr.",
    "kl.",
    "nr.",
    "p.g.a.",
    "pga.",
    "fr.o.m.",
    "t.o.m.",
    "m.fl.",
    "e.d.",
]
_PLACEHOLDER = "\u2063"  # invisible separator, never in source text
# One pass over a line for all abbreviations (longest first, so "t.o.m." wins over "m."),
# not one pass per abbreviation: per-line cost matters on text with many short lines.
_ABBREV_RE = re.compile(
    "|".join(re.escape(a) for a in sorted(_ABBREV, key=len, reverse=True)), re.IGNORECASE
)
# A closing quote or bracket after the full stop stays with its sentence ("… det?” Sedan …").
CLOSERS = '"”»)’'  # what may close a sentence after its full stop


def final_mark(text: str) -> str:
    """The text's last character before any closing quotes or brackets: a sentence's full
    stop, question or exclamation mark, or whatever else it ends with."""
    return text.rstrip().rstrip(CLOSERS)[-1:]


_SENT_END = re.compile(
    rf"(?:(?<=[.!?])|(?<=[.!?][{CLOSERS}])|(?<=[.!?][{CLOSERS}][{CLOSERS}]))"
    r"\s+(?=[\"”«(–\-]?\s?[A-ZÅÄÖ0-9])"
)


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences; list items and lines stay whole."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        protected = _ABBREV_RE.sub(lambda m: m.group().replace(".", _PLACEHOLDER), line)
        for part in _SENT_END.split(protected):
            part = part.replace(_PLACEHOLDER, ".").strip()
            if part:
                out.append(part)
    return out


def fold(text: str) -> str:
    """Normalise for comparison: case, whitespace, soft hyphens, line-break hyphenation, quotes."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "")
    # [^\S\n]* (whitespace but not a newline) before the newline: with \s* on both sides a
    # long run of blank lines after a hyphen is split between them in quadratic ways.
    text = re.sub(r"(\w)-[^\S\n]*\n\s*(?!och\b|eller\b|samt\b|till\b)(\w)", r"\1\2", text)
    text = (
        text.replace("”", '"')
        .replace("“", '"')
        .replace("’", "'")
        .replace("–", "-")
        .replace("—", "-")
    )
    return re.sub(r"\s+", " ", text).strip().lower()


def fold_diacritics(text: str) -> str:
    """å, ä -> a, ö -> o, é -> e …: the letters a keyboard without them gives."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def word_count(text: str) -> int:
    return len(text.split())


TOKEN = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+(?:[-/][0-9A-Za-zÀ-ÖØ-öø-ÿ]+)*")


def tokens(text: str) -> list[str]:
    return [t.lower() for t in TOKEN.findall(text)]
