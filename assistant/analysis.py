"""Swedish term analysis shared by BM25, the answerers and the citation checker."""

from __future__ import annotations

from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_SWEDISH

from ingest.text import tokens

# Question words and fillers that carry no topic.
_EXTRA_STOP = {
    "vem", "vilka", "vilken", "vilket", "vad", "när", "hur", "varför", "var", "finns", "står",
    "gäller", "enligt", "många", "mycket", "ska", "skall", "kan", "får", "går", "sägs", "säger",
    "the", "a", "an", "of", "and", "or", "is", "are", "was", "who", "what", "when", "which",
    "how", "why", "does", "do", "in", "on", "for", "to", "by", "with", "about", "that", "this",
}
STOPWORDS = frozenset(STOPWORDS_SWEDISH) | _EXTRA_STOP
_stemmer = Stemmer.Stemmer("swedish")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed content terms; hyphenated words also yield their parts ("RF-SISU", "e-hälsa")."""
    out: list[str] = []
    for tok in tokens(text):
        parts = [tok, *tok.split("-")] if "-" in tok else [tok]
        for part in parts:
            if len(part) > 1 and part not in STOPWORDS:
                out.append(stem(part))
    return out
