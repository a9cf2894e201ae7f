"""Query normalisation and expansion: acronyms both ways, misspelt names."""

from __future__ import annotations

import difflib
import re
import unicodedata

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
                match = difflib.get_close_matches(word, self._vocabulary, n=1, cutoff=0.82)
                if match:  # the corpus spelling replaces the unknown one
                    query = re.sub(rf"\b{re.escape(word)}\b", match[0], query, flags=re.I)
        return query if not extra else query + " " + " ".join(extra)
