"""Swedish words from a lexicon, shared by BM25, the answerers and the citation checker.

- Lemmas from `simplemma` (kommunerna -> kommun, hölls -> hålla), then a Snowball stem so that
  forms the lemmatiser does not know still meet their lemma.
- Compound parts and "is this Swedish?" from the hunspell-sv word list (its stems and its
  compound flags) together with simplemma's lexicon: socialchefsnätverket -> social + chef +
  nätverk. spylls reads the same dictionary with full affix rules but costs 5–60 ms a word and
  4 s to load (measured 2026-11-30), too slow for a question's hot path; the word list gives
  the same splits for the corpus's compounds in microseconds.
- Synonyms from LibreOffice's Swedish thesaurus (Viggo Kann's, as Debian's mythes-sv ships
  it), for the words of a question that the corpus does not use: "jobbade ihop" meets
  "arbetade tillsammans", "ramlar" meets "fallolyckor".
- One stopword list: the standard Swedish and English lists of bm25s plus the question words,
  the only hand-kept entries (tests/test_language.py checks that each is real Swedish).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from itertools import product
from pathlib import Path
from typing import NamedTuple

import simplemma
import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_SWEDISH

from ingest.text import fold_diacritics, tokens

# Words that ask rather than name a topic ("Vem leder …?", "Hur många …?").
QUESTION_WORDS = frozenset(
    {"vem", "vems", "vilka", "vilken", "vilket", "vad", "när", "hur", "varför", "var", "vart"}
)
# "Hur ofta/länge/många …" ask for a frequency, a duration, a number: the word after "hur"
# is part of the question word (the answer's shape, read in questions.py), not a topic word.
DEGREE_WORDS = (
    "ofta", "länge", "många", "mycket", "stor", "stort", "stora", "lång", "långt", "långa",
    "gammal", "gamla", "snart", "tidigt",
)  # fmt: skip
_QUESTION_PHRASE = re.compile(
    rf"\b(hur|how)\s+({'|'.join((*DEGREE_WORDS, 'often', 'long', 'many', 'much'))})\b", re.I
)
ENGLISH_STOPWORDS = frozenset(STOPWORDS_EN)
STOPWORDS = frozenset(STOPWORDS_SWEDISH) | ENGLISH_STOPWORDS | QUESTION_WORDS
_stemmer = Stemmer.Stemmer("swedish")
# Bounded caches: a question of random long words must not grow memory without limit.
_CACHE = 20_000
_MIN_PART = 3  # shorter pieces are linking letters or prefixes, not words
_MIN_KNOWN_PART = 4  # the same for a word the lexicon knows whole (compound_parts)
_MAX_WORD = 40  # longer tokens are not words (no Swedish compound in the lexicon is longer)
_LINKING = ("s", "e", "a", "o", "u")  # fogemorfem: chef-s-nätverk, hälso-, kvinno-


@lru_cache(maxsize=_CACHE)
def term(word: str) -> str:
    """The normal form of one lower-cased token: lemma, then Snowball stem."""
    if word.isdigit() or len(word) > _MAX_WORD:
        return word[:_MAX_WORD]
    return _stemmer.stemWord(_lemma(word))


def _lemma(word: str) -> str:
    return _lemma_as_written(word).lower()


# "Vad betyder/innebär/menas med X?" asks what X is: the verb frames the question as
# "hur" frames a degree, and as a search word it meets any sentence with the verb or a word
# of its stem ("betyder" and "betydligt" are both betyd-), whatever the sentence is about.
# (typed with or without å/ä/ö: "innebar" is also the past tense, as "betydde" is)
_DEFINITION_FRAME = re.compile(
    r"\b(vad)\s+(?:betyder|betydde|inneb[äa]r|menas(?:\s+\w+)?\s+med)\b(?!-)", re.I
)


def without_question_phrases(text: str) -> str:
    """The text with "hur ofta" read as one question word ("Hur ofta träffas de?" ->
    "hur träffas de?"), and so "vad betyder" ("Vad betyder SIP?" -> "Vad SIP?"): a word no
    answer contains would count as missing from the sources."""
    return _DEFINITION_FRAME.sub(r"\1", _QUESTION_PHRASE.sub(r"\1", text))


def is_content(word: str) -> bool:
    return len(word) > 1 and word not in STOPWORDS


def terms(text: str) -> list[str]:
    """Normalised content terms; hyphenated words also yield their parts ("RF-SISU")."""
    return terms_of_tokens(tokens(text))


def terms_of_tokens(toks: list[str]) -> list[str]:
    """`terms` of a text already split by ingest.text.tokens."""
    out: list[str] = []
    for tok in toks:
        parts = [tok, *re.split(r"[-/]", tok)] if ("-" in tok or "/" in tok) else [tok]
        out.extend(term(p) for p in parts if is_content(p))
    return out


def expanded_terms(text: str) -> list[str]:
    """`terms` plus the terms of compound parts: what BM25 indexes, so that "nätverket för
    socialchefer" meets "socialchefsnätverket"."""
    return expand(terms_of_tokens(tokens(text)), tokens(text))


def expand(base: list[str], toks: list[str]) -> list[str]:
    out = list(base)
    for tok in toks:
        if is_content(tok):
            out.extend(p for p in compound_parts(tok) if p not in base)
    out.extend(t for t in fused_terms(toks) if t not in base)
    return out


# --- particle verbs ----------------------------------------------------------------------

# A Swedish particle verb is written split in a clause ("följa upp", "ställa om", "tog
# fram") and fused in its participle and its noun ("uppföljd", "uppföljningen",
# "omställningen", "framtagandet"). Both spellings yield the fused verb's term ("uppfölj"),
# so that a question in verbs meets a text in nouns. The particles are the closed class of
# Swedish verb particles that fuse so.
PARTICLES = frozenset(
    {
        "upp", "ut", "in", "fram", "bort", "om", "av", "på", "till", "över", "med", "efter",
        "an", "åt", "ned", "ner", "samman", "tillbaka", "undan", "under", "genom",
    }
)  # fmt: skip
# A particle that is also a preposition counts only where it stands alone: last, or before
# a preposition or a conjunction ("ställa om till nära vård", "följs upp och utvärderas"),
# not before what it governs ("beslut om den", "arbetet med att …").
_ALONE_BEFORE = frozenset(
    {
        "till", "i", "på", "med", "för", "från", "av", "om", "åt", "efter", "under", "över",
        "genom", "mot", "vid", "hos", "inom", "kring", "och", "eller", "samt", "men",
    }
)  # fmt: skip
_ADVERBIAL = frozenset({"upp", "ut", "fram", "bort", "ned", "ner", "samman", "tillbaka", "undan"})
# Auxiliaries take no particle; the verb after them does ("ska ställas om")
_AUXILIARIES = frozenset(
    {"ska", "skall", "skulle", "kan", "kunde", "får", "fick", "vill", "ville", "måste", "bör",
     "borde", "behöver", "brukar", "lär"}
)  # fmt: skip
# ta, ge and dra fuse in their long forms: framtagande, utgivning, indragen
_LONG_FORMS = {"ta": "taga", "ge": "giva", "dra": "draga"}


def particle_verbs(toks: list[str]) -> dict[int, str]:
    """The fused term of each particle verb written split, by the index of its verb: the
    particle right after a content word, or one word later ("följer man upp", "Hur följs
    planen upp?": a question puts its subject between the verb and the particle)."""
    out: dict[int, str] = {}
    for i, tok in enumerate(toks):
        if tok in PARTICLES or tok in _AUXILIARIES or not is_content(tok) or not tok.isalpha():
            continue
        for j in (i + 1, i + 2):
            if j >= len(toks) or (j == i + 2 and toks[i + 1] in PARTICLES):
                break
            if toks[j] in PARTICLES and _stands_alone(toks, j):
                lemma = _lemma(tok)
                fused = toks[j] + _LONG_FORMS.get(lemma, lemma)
                if is_lexicon_word(fused):  # "följs planen upp": uppfölja, not "uppplan"
                    out[i] = term(fused)
                break
    return out


def _stands_alone(toks: list[str], j: int) -> bool:
    """Last, or before a preposition or a conjunction; "till och med" is one preposition."""
    if toks[j] in _ADVERBIAL or j + 1 == len(toks):
        return True
    fixed = toks[j + 1] in ("och", "eller") and j + 2 < len(toks) and toks[j + 2] in PARTICLES
    return toks[j + 1] in _ALONE_BEFORE and not fixed


def fused_terms(toks: list[str]) -> list[str]:
    """The fused verbs' terms a text carries: of its particle verbs' nouns (fused_nouns)
    and of those it writes split (particle_verbs). BM25 and the unit ranking both add them."""
    return [t for tok in toks for t in fused_nouns(tok)] + list(particle_verbs(toks).values())


def fused_nouns(word: str) -> tuple[str, ...]:
    """The fused verbs' terms of a word and of its compound parts: "utredningsarbetet" ->
    utred (as in "utreda"), "uppföljningsansvar" -> uppfölj."""
    found = (fused_noun(w) for w in (word, *compound_parts(word)))
    return tuple(dict.fromkeys(t for t in found if t))


@lru_cache(maxsize=_CACHE)
def fused_noun(word: str) -> str | None:
    """The fused verb's term of a noun in -ning that begins with a particle: uppföljningen ->
    uppfölj (as in "följa upp"), omställningen -> omställ, inläggningar -> inlägg,
    utbildning -> utbild (utbilda). None for other words."""
    particle = max((p for p in PARTICLES if word.startswith(p)), key=len, default=None)
    if particle is None or len(word) < len(particle) + 6 or not word.isalpha():
        return None
    lemma = _lemma(word)
    if not lemma.endswith("ning"):
        return None
    return term(lemma[:-4] + "a")


# --- the lexicon: hunspell-sv's word list and simplemma -----------------------------------


def _dictionary_path() -> Path:
    return Path(sys.prefix, "share", "hunspell", "sv_SE.dic")


class Lexicon(NamedTuple):
    """hunspell-sv's stems: all of them and those that may end a compound, lower-cased, and
    the names among them (written with a capital: "Bo", "Göran"), as written."""

    words: frozenset[str]
    heads: frozenset[str]
    names: frozenset[str]


@cache
def _lexicon() -> Lexicon:
    words: set[str] = set()
    heads: set[str] = set()
    proper: set[str] = set()
    path = _dictionary_path()
    if not path.is_file():  # the package is a dependency; without it nothing is split
        return Lexicon(frozenset(), frozenset(), frozenset())
    with path.open(encoding="utf-8", errors="replace") as fh:
        next(fh, None)  # the first line is the entry count
        for line in fh:
            stem, _, flags = line.rstrip("\n").partition("/")
            if len(stem) < 2 or not stem.isalpha():
                continue
            low = stem.lower()
            words.add(low)
            if stem[0].isupper():
                proper.add(stem)
            if "Y" in flags:  # hunspell-sv's COMPOUNDEND flag
                heads.add(low)
    return Lexicon(frozenset(words), frozenset(heads), frozenset(proper))


@lru_cache(maxsize=_CACHE)
def is_common_word(word: str) -> bool:
    """Whether a capitalised word is a common Swedish word rather than a name: the lexicon
    knows it, hunspell-sv does not list it as a name, and simplemma's lemma of it is not a
    proper noun ("Projektet", "Från", "Exempelvis" are common; "Karin", "Bo", "Göran" are
    names). Only a capital at a sentence's start needs this: Swedish writes common words in
    lower case elsewhere."""
    if word in _lexicon().names:
        return False
    low = word.lower()
    return not _lemma_as_written(low)[:1].isupper() and is_swedish(low)


def _lemma_as_written(word: str) -> str:
    return simplemma.lemmatize(word, lang="sv")


@lru_cache(maxsize=_CACHE)
def is_swedish(word: str) -> bool:
    """Whether the lexicon knows the word: as it is, by its lemma, or as a compound."""
    word = word.lower()
    if not word.isalpha() or len(word) > _MAX_WORD:
        return False
    words = _lexicon().words
    return (
        word in words
        or simplemma.is_known(word, lang="sv")
        or _lemma(word) in words
        or bool(compound_parts(word))
    )


@lru_cache(maxsize=_CACHE)
def is_lexicon_word(word: str) -> bool:
    """Whether the lexicon knows the word itself or by its lemma (not only as a compound)."""
    word = word.lower()
    words = _lexicon().words
    return word in words or simplemma.is_known(word, lang="sv") or _lemma(word) in words


@lru_cache(maxsize=_CACHE)
def compound_parts(word: str) -> tuple[str, ...]:
    """The terms of a compound's parts, its head last, or () when the word is not a
    compound the lexicon can explain: socialchefsnätverket -> (social, chef, nätverk).
    A word the lexicon knows whole splits only into parts of four letters or more, the first
    not a stopword (områdeschef -> område, chef; "nätverket" and "tillgänglighet" stay
    whole). Some such splits are false ("ledamöter" -> led, möt); ruling out every particle
    or every stem under four letters cost dev key facts 0.725 -> 0.716, so they stay."""
    word = word.lower()
    if len(word) < 2 * _MIN_PART or len(word) > _MAX_WORD or not word.isalpha():
        return ()
    words = _lexicon().words
    known = word in words or _lemma(word) in words
    parts = _split(word, _MIN_KNOWN_PART if known else _MIN_PART)
    if known and parts and parts[0] in STOPWORDS:  # a particle: "till|gänglighet"
        return ()
    return tuple(term(p) for p in parts) if parts else ()


def _split(word: str, least: int = _MIN_PART) -> list[str] | None:
    """Longest head first: a head the lexicon lets end a compound (by its lemma), and a
    modifier that is a word, a word plus a linking letter, or itself a compound; every part
    at least `least` letters."""
    lexicon = _lexicon()
    words, heads = lexicon.words, lexicon.heads
    for i in range(least, len(word) - least + 1):
        head = word[i:]
        head_lemma = _lemma(head)
        if head_lemma not in heads and head not in heads:
            continue
        modifier = _modifier(word[:i], words, least)
        if modifier is not None:
            return [*modifier, head_lemma if head_lemma in heads else head]
    return None


def _modifier(text: str, words: frozenset[str], least: int) -> list[str] | None:
    if text in words and len(text) >= least:
        return [text]
    if text.endswith(_LINKING) and text[:-1] in words and len(text) > least:
        return [text[:-1]]
    if len(text) >= 2 * least:
        inner = _split(text, least) or (
            _split(text[:-1], least) if text.endswith(_LINKING) else None
        )
        return inner
    return None


# --- synonyms: LibreOffice's Swedish thesaurus ----------------------------------------

# LibreOffice's Swedish thesaurus as Debian's mythes-sv ships it (assistant/thesaurus/README.md)
THESAURUS = Path(
    os.environ.get("SAMVERKAN_THESAURUS")
    or Path(__file__).with_name("thesaurus") / "th_sv_SE_v2.dat"
)
log = logging.getLogger(__name__)


@cache
def _thesaurus() -> dict[str, frozenset[str]]:
    """Snowball stem of a word -> its one-word synonyms, read both ways (a MyThes file: the
    encoding on the first line, then "word|n" and n lines "(pos)|synonym|synonym…"). Stems
    as keys: an inflected form ("spikade") meets its headword ("spika"), which the
    lemmatiser does not know; lemmatising the 60 000 pairs would also cost a second."""
    if not THESAURUS.is_file():
        log.warning(
            "no Swedish thesaurus at %s: questions match the sources' words only", THESAURUS
        )
        return {}
    raw = THESAURUS.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        encoding = raw.split(b"\n", 1)[0].decode("ascii").strip() or "utf-8"
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        log.warning("unreadable thesaurus %s (%s): no synonyms", THESAURUS, exc)
        return {}
    out: dict[str, set[str]] = {}
    head: str | None = None
    for line in text.splitlines()[1:]:
        if not line.startswith(("|", "(")):
            head = line.split("|", 1)[0].lower()
        elif head is not None and _one_word(head):
            for syn in line.lower().split("|")[1:]:
                if _one_word(syn) and syn != head:
                    out.setdefault(_stemmer.stemWord(head), set()).add(syn)
                    out.setdefault(_stemmer.stemWord(syn), set()).add(head)
    return {k: frozenset(v) for k, v in out.items()}


def _one_word(text: str) -> bool:
    return text.replace("-", "").isalpha()


@lru_cache(maxsize=_CACHE)
def synonyms(word: str) -> frozenset[str]:
    """The terms of a word's synonyms (found by the word's stem and by its term)."""
    word = word.lower()
    own = term(word)
    keys = {_stemmer.stemWord(word), own}
    found = frozenset().union(*(_thesaurus().get(k, frozenset()) for k in keys))
    return frozenset(t for t in map(term, found) if t != own)


STAND_INS = 3  # synonyms searched for one word: more would outweigh the question's other words


def uses(word: str, known: Mapping[str, int]) -> bool:
    """Whether a corpus whose terms are `known` uses the word: its term, or all of its
    compound parts."""
    parts = compound_parts(word)
    return term(word.lower()) in known or (bool(parts) and all(p in known for p in parts))


def stand_ins(word: str, known: Mapping[str, int]) -> tuple[str, ...]:
    """For a word the corpus does not use (neither its term nor all of its compound parts
    are `known`, the corpus's terms with their chunk counts): the terms of its synonyms that
    the corpus uses, the commonest first. A stem can join unrelated words ("hej" and "hälsa"
    share a headword), so a stand-in helps to match and to search but never makes the word
    itself count as in the corpus."""
    if uses(word, known):
        return ()
    found = sorted((a for a in synonyms(word) if a in known), key=lambda a: (-known[a], a))
    return tuple(found[:STAND_INS])


def load_word_lists() -> None:
    """Read the thesaurus and the word frequencies now (a service start), not on the first
    question that needs them."""
    _thesaurus()
    _commonest_with_diacritics()


# --- Text typed without å, ä and ö -----------------------------------------------------

# Users without a Swedish keyboard type a for å and ä, o for ö ("nar antogs malbilden").
_RESTORABLE = {"a": "aåä", "o": "oö"}
# Spellings tried for a word no frequency list has (a compound): a, å, ä for three a's
_MAX_SPELLINGS = 27


def has_diacritics(text: str) -> bool:
    return bool(re.search(r"[åäöÅÄÖ]", text))


@cache
def _commonest_with_diacritics() -> dict[str, str]:
    """Every Swedish word with å, ä or ö in wordfreq's list (340,000 words), by its form
    without them: the commonest wins ("ar" -> "är", not "år"). Built once, ~0.5 s."""
    from wordfreq import get_frequency_dict

    freq = get_frequency_dict("sv")
    out: dict[str, str] = {}
    for word, f in freq.items():
        if not word.isascii():
            key = fold_diacritics(word)
            if key != word and (key not in out or f > freq[out[key]]):
                out[key] = word
    return out


def commonest_with_diacritics(word: str) -> str | None:
    """The Swedish word with å, ä or ö most often meant by the word typed without them
    ("nar" -> "när", "namnd" -> "nämnd"); None when general Swedish has none."""
    return _commonest_with_diacritics().get(word.lower())


def spellings(word: str) -> tuple[str, ...]:
    """The lower-cased word as it may have been meant with å, ä or ö, itself first; only
    itself when it has more a's and o's than _MAX_SPELLINGS allows to try."""
    lower = word.lower()
    slots = [_RESTORABLE.get(c, c) for c in lower]
    count = 1
    for slot in slots:
        count *= len(slot)
    if count > _MAX_SPELLINGS:
        return (lower,)
    return tuple("".join(p) for p in product(*slots))


@lru_cache(maxsize=_CACHE)
def frequency(word: str) -> float:
    """How common the word is in Swedish: wordfreq's Zipf scale (6 is "var", 3 "nämnd",
    0 a word it has not seen)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "sv")


# --- English -------------------------------------------------------------------------


def is_english(text: str) -> bool:
    """A question in English: at least two English function words (bm25s's English
    stopword list), a fifth of its words, and more words only English has than words only
    Swedish has. Typed without å/ä/ö, "för", "än" and "åt" are "for", "an" and "at", words
    of both lists ("Vem ar ansvarig for natverket for chefer?" is Swedish); "i" is also the
    English "I" ("Where do I send an application for home care?" is English)."""
    words = tokens(text)
    hits = sum(w in ENGLISH_STOPWORDS or w in _ENGLISH_QUESTION for w in words)
    english_only = sum(
        (w in ENGLISH_STOPWORDS or w in _ENGLISH_QUESTION) and w not in _SWEDISH_FUNCTION
        for w in words
    )
    swedish_only = sum(
        w in _SWEDISH_FUNCTION and w not in ENGLISH_STOPWORDS and w != "i" for w in words
    )
    return hits >= 2 and hits >= len(words) / 5 and english_only > swedish_only


def _is_name(word: str, first: bool) -> bool:
    head = word.split("-")[0]  # "MAS/MAR-nätverket" is named by its acronym
    return (head.isupper() and len(head) > 1) or (
        not first and word[:1].isupper() and word[1:].islower()
    )


def names(text: str) -> list[str]:
    """The names a text mentions: acronyms and runs of capitalised words after the first
    word ("USÖ", "Örebro County"), each run as one string."""
    runs: list[list[str]] = []
    for sentence in re.split(r"(?<=[.?!:])\s+", text):
        prev = False
        for i, word in enumerate(re.findall(r"[\wåäöÅÄÖé/-]+", sentence)):
            is_name = _is_name(word, i == 0)
            if is_name and prev:
                runs[-1].append(word)
            elif is_name:
                runs.append([word])
            prev = is_name
    return [" ".join(r) for r in runs]


_WORDS = re.compile(r"[\w-]+")  # \w is Unicode: å, ä, ö and é are word characters
# Where a capital says nothing about a name: a sentence, a line, a list item, a field after a
# dash or colon, a parenthesis
_STARTS = re.compile(r"[.?!:;•–(\n]\s*|\s-\s")


def proper_names(texts: Iterable[str]) -> frozenset[str]:
    """The words a corpus of passages writes only capitalised, never in lower case: its
    places, people and projects ("laxå", "nordling", "cherries"). At the start of a
    sentence, line or field a capital says nothing: there a word counts only when hunspell-sv
    lists it as a name ("Askersund" first in a list after a colon; not "Projektet" nor
    "Hälsogapet"). Not a word it also writes in lower case ("Region" in "Region Örebro
    län"), a common Swedish word ("Söder", "Ansvarig:" after a dash), a word led by an
    acronym or a letter ("E-post", "HBTQ-personer"; acronyms are names()'s), nor a name in
    more than a quarter of the passages: that is the corpus's setting ("Örebro", in 24 of
    55), not what a question singles out."""
    capital: set[str] = set()
    lower: set[str] = set()
    spread: Counter[str] = Counter()  # passages per capitalised word (memory: the vocabulary)
    passages = 0
    for text in texts:
        passages += 1
        words: set[str] = set()
        for part in _STARTS.split(text):
            for i, word in enumerate(_WORDS.findall(part)):
                head = word.split("-")[0]
                if word[:1].islower():
                    lower.add(word)
                elif word[:1].isupper() and len(head) > 1 and not head.isupper():
                    if i == 0 and word not in _lexicon().names:  # its capital says nothing
                        continue
                    capital.add(word)
                    words.add(word.lower())
        spread.update(words)
    found = {w.lower() for w in capital if w.lower() not in lower and not is_common_word(w)}
    return frozenset(w for w in found if spread[w] <= passages / 4)


def names_asked(question: str, proper: frozenset[str]) -> set[str]:
    """The corpus's proper names a question gives, however it is typed ("laxå", "Laxås"), in
    its asking sentences: "Vem leder nätverket? Jag jobbar i Kumla." asks nothing of Kumla.
    Two-letter words ("Bo") are too often something else."""
    sentences = re.split(r"(?<=[.?!])\s+", question.strip())
    asking = " ".join(s for s in sentences if s.endswith("?")) or question
    out = set()
    for word in _WORDS.findall(asking.lower()):
        base = word[:-1] if word.endswith("s") and word[:-1] in proper else word  # "Laxås"
        if len(base) > 2 and base in proper:
            out.add(base)
    return out


def names_unshown(asked: set[str], shown: str) -> float:
    """The share of the names asked that the shown text does not give (as a word or the start
    of one: "Nordlings")."""
    if not asked:
        return 0.0
    low = shown.lower()
    return sum(not re.search(rf"(?<!\w){re.escape(n)}", low) for n in asked) / len(asked)


def names_only(text: str) -> str:
    return " ".join(names(text))


def names_and_swedish(text: str) -> str:
    """The words of an English question that can match the Swedish sources: names and
    acronyms (capitalised after the first word, or all capitals) and words with å, ä or ö."""
    words = re.findall(r"[\wåäöÅÄÖé/-]+", text)
    keep = [
        w
        for i, w in enumerate(words)
        if (w.isupper() and len(w) > 1)
        or (i > 0 and w[:1].isupper())
        or any(c in w.lower() for c in "åäö")
    ]
    return " ".join(keep)


# English question words are not in the stopword list; they shape English questions.
_ENGLISH_QUESTION = frozenset({"who", "what", "when", "which", "how", "why", "does", "do", "did"})
# Swedish function words, also as typed without å/ä/ö
_SWEDISH_FUNCTION = frozenset(STOPWORDS_SWEDISH) | {fold_diacritics(w) for w in STOPWORDS_SWEDISH}
