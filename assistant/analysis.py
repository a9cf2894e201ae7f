"""Swedish term analysis shared by BM25, the answerers and the citation checker."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

from ingest.text import tokens

# Question words and fillers that carry no topic.
_EXTRA_STOP = {
    "vem",
    "vilka",
    "vilken",
    "vilket",
    "vad",
    "när",
    "hur",
    "varför",
    "var",
    "finns",
    "står",
    "gäller",
    "enligt",
    "många",
    "mycket",
    "ska",
    "skall",
    "kan",
    "får",
    "går",
    "sägs",
    "säger",
    "datum",
    "år",
    "månad",
    "ofta",
    "länge",
    "hölls",
    "hålls",
    "genomfördes",
    "gjordes",
    "sker",
    "skedde",
    "började",
    "startade",
    "heter",
    "hette",
    "kallas",
    "betyder",
    "innebär",
    "handlar",
    "handlade",
    "gör",
    "gjorde",
    "fanns",
    "stod",
    "ingår",
    "ingick",
    "nämns",
    "beskrivs",
    "tas",
    "togs",
    "menas",
    "avses",
    "egentligen",
    "någon",
    "något",
    "några",
    "the",
    "a",
    "an",
    "of",
    "and",
    "or",
    "is",
    "are",
    "was",
    "who",
    "what",
    "when",
    "which",
    "how",
    "why",
    "does",
    "do",
    "in",
    "on",
    "for",
    "to",
    "by",
    "with",
    "about",
    "that",
    "this",
}
STOPWORDS = frozenset(STOPWORDS_SWEDISH) | _EXTRA_STOP
_stemmer = Stemmer.Stemmer("swedish")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content terms; hyphenated words also yield their parts ("RF-SISU", "e-hälsa")."""
    return terms_of_tokens(tokens(text))


def terms_of_tokens(toks: list[str]) -> list[str]:
    """`terms` of a text already split by ingest.text.tokens."""
    out: list[str] = []
    for tok in toks:
        parts = [tok, *re.split(r"[-/]", tok)] if ("-" in tok or "/" in tok) else [tok]
        for part in parts:
            if len(part) > 1 and part not in STOPWORDS:
                out.append(stem(part))
    return out


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@lru_cache(maxsize=500_000)
def related(wanted: str, found: str) -> bool:
    """Whether `found` in a text answers for the question's `wanted` stem: another form of
    the word ("nätverk"/"nätverket"), or a compound with it as head ("nämnd" is answered by
    "sjukvårdsnämnd"; "socialchef" is not answered by "chef"). Snowball leaves many Swedish
    forms apart."""
    if wanted == found:
        return True
    shorter, longer = sorted((wanted, found), key=len)
    if len(shorter) < 4:
        return False
    if len(wanted) >= 4 and found.endswith(wanted):
        return True
    # Inflections differ in a short ending; a compound ("samverkan"/"samverkansråd") does not.
    return (
        len(shorter) >= 5
        and len(longer) - len(shorter) <= 3
        and _common_prefix(wanted, found) >= max(5, len(shorter) - 1)
    )


def contains_term(term: str, bag: set[str]) -> bool:
    return term in bag or any(related(term, other) for other in bag)
