"""Query normalisation and expansion: acronyms both ways, misspelt names."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter

import numpy as np

from ingest.text import fold, tokens

from .crosslingual import add_swedish
from .glossary import Term
from .questions import is_english


def normalise(query: str) -> str:
    query = unicodedata.normalize("NFC", query).replace("\u00ad", "")
    query = query.replace("”", '"').replace("“", '"').replace("’", "'")
    return re.sub(r"\s+", " ", query).strip()


class QueryExpander:
    def __init__(self, glossary: list[Term], vocabulary: set[str]) -> None:
        self._glossary = glossary
        self._vocabulary = sorted(w for w in vocabulary if len(w) >= 5 and not w.isdigit())
        self._known = vocabulary
        self._close = CloseWords(self._vocabulary)

    def expand(self, query: str) -> str:
        """The query plus what it implies: an acronym's long form or the reverse, and the
        corpus spelling of a word it does not know ("Ljusnarsberg" -> "Ljusnaberg")."""
        query = normalise(query)
        if is_english(query):
            query = add_swedish(query)
        extra: list[str] = []
        folded = fold(query)
        words = set(tokens(query))
        for term in self._glossary:
            if term.term.lower() in words or term.term.lower() in folded.split():
                extra.append(term.explanation)
            elif fold(term.explanation) in folded:
                extra.append(term.term)
        for word in words:
            if len(word) >= 5 and word not in self._known and not word.isdigit():
                match = self._close.get(word, cutoff=0.82)
                if match:  # the corpus spelling replaces the unknown one
                    query = re.sub(rf"\b{re.escape(word)}\b", match[0], query, flags=re.I)
        return query if not extra else query + " " + " ".join(extra)


class CloseWords:
    """`difflib.get_close_matches(word, words, n=1, cutoff)` with the same answer, faster on
    a large vocabulary: difflib's ratio is computed only for the words that pass its own
    upper bound (quick_ratio: letters in common), which numpy checks for all words at once.
    Plain difflib costs ~1 ms per 1,000 words for every unknown question word."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.lengths = np.array([len(w) for w in words], dtype=np.int32)
        letters = sorted({ch for w in words for ch in w})
        self.letter = {ch: i for i, ch in enumerate(letters)}
        self.counts = np.zeros((len(letters), len(words)), dtype=np.uint8)  # letter x word
        self.always = np.zeros(len(words), dtype=bool)  # counts too large for uint8
        for j, w in enumerate(words):
            for ch, n in Counter(w).items():
                self.counts[self.letter[ch], j] = min(n, 255)
                self.always[j] |= n > 255

    def get(self, word: str, cutoff: float) -> list[str]:
        if not self.words:
            return []
        common = np.zeros(len(self.words), dtype=np.int32)
        for ch, n in Counter(word).items():
            i = self.letter.get(ch)
            if i is not None:
                common += np.minimum(self.counts[i], min(n, 255))  # counts > 255: always
        # quick_ratio = 2 * common / total >= ratio; a small margin keeps float ties in
        bound = 2.0 * common / (self.lengths + len(word))
        keep = np.flatnonzero((bound >= cutoff - 1e-9) | self.always)
        candidates = [self.words[j] for j in keep]
        return difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
