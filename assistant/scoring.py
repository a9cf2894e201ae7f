"""Scoring the candidate answer units of the top passages against a question: by its words
(lemmas and compound parts, weighted by rarity) and by meaning (the unit vectors stored at
ingestion), plus the answer shape the question asks for."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ingest.clean import BULLET
from ingest.models import Chunk
from ingest.text import tokens

from .language import (
    compound_parts,
    fused_nouns,
    fused_terms,
    is_content,
    particle_verbs,
    stand_ins,
    term,
    uses,
    without_question_phrases,
)
from .models import Hit
from .questions import defined_term, defines, enumerated, shape
from .units import Unit, chunk_units, is_question, is_section, looks_like_injection

# Pronouns and adverbs that point back to the previous sentence ("Den leds av …"): such a
# unit is quoted together with that sentence, which names what it is about.
ANAPHORA = re.compile(r"^(den|det|de|dessa|denna|detta|där|här|hon|han|dess|deras|vi)\b", re.I)
# A unit that announces what follows ("… tre utmaningar:", "… inspelade föreläsningar.")
# is quoted with the next unit when that one begins by giving the examples or items.
ELABORATION = re.compile(
    r"^(exempelvis|till exempel|t\.ex\.|bland annat|bl\.a\.|det vill säga|dvs|nämligen|"
    r"dessa (är|var)|de (är|var))\b",
    re.I,
)

# How a finished sentence or a heading-like line ends; anything else leads into the next line.
UNFINISHED_OK = re.compile(r"([.!?…”\"')\]]|\b[A-ZÅÄÖ]\w*|\d)$")
# A labelled field: a label of at most four words, then its value ("Namn Efternamn – Titel",
# "Telefon: 019-…", "Ansvarig: …"); a dash or colon further in is inside a sentence
FIELD_LINE = re.compile(r"^\S+(?:\s\S+){0,3}(?:\s[–-]\s|:\s)")


@dataclass(frozen=True)
class QueryTerm:
    term: str
    parts: tuple[str, ...]  # compound parts, matched when the whole word is not
    weight: float
    in_corpus: bool  # the term or all of its parts occur somewhere in the corpus
    synonyms: tuple[str, ...] = ()  # matched in the term's stead: for a word the corpus does
    # not use, the terms of its synonyms that it uses (language.stand_ins; the word itself
    # stays out of the corpus, `in_corpus`); for a verb written with its particle, the fused
    # verb's term ("följs upp": uppfölj, as in "uppföljning")


@dataclass
class Scored:
    unit: Unit
    rank: int  # rank of the unit's chunk among the hits; neighbours count one lower
    passage_dense: float = 0.0  # cosine of question and the unit's passage (0 for neighbours)
    lexical: float = 0.0  # weight share of the question's terms in the unit
    context: float = 0.0  # weight share found only in headings or the previous sentence
    own: float = 0.0  # in a follow-up, the weight share of the message's own words (not the
    # topic carried over from the conversation) in the unit; 0 for any other question
    dense: float = 0.0  # cosine of question and unit (e5)
    shape: float = 0.0  # 0–1: the answer shape the question kind asks for
    defining: bool = False  # "Vad är X?" and the unit defines X
    lead: Unit | None = None  # the previous sentence, when the unit points back to it
    follow: Unit | None = None  # the next unit, when this one announces it
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return self.lexical + self.context


class Vocabulary:
    """Document frequencies over the corpus's terms: term weights and "is it in the corpus"."""

    def __init__(
        self,
        doc_freq: dict[str, int],
        n_chunks: int,
        years: frozenset[int],
        names: frozenset[str] = frozenset(),
    ) -> None:
        self.doc_freq = doc_freq
        self.n = max(n_chunks, 1)
        self.years = years  # the years the corpus names or covers (questions.years_covered)
        self.names = names  # its proper names, in lower case (language.proper_names)
        self.max_idf = float(np.log(1 + (self.n + 0.5) / 0.5))

    def idf(self, t: str) -> float:
        df = self.doc_freq.get(t, 0)
        return float(np.log(1 + (self.n - df + 0.5) / (df + 0.5))) if df else self.max_idf

    def query_terms(self, text: str) -> list[QueryTerm]:
        out: dict[str, QueryTerm] = {}
        toks = tokens(without_question_phrases(text))
        fused = particle_verbs(toks)
        for tok in toks:
            for word in [tok, *re.split(r"[-/]", tok)] if ("-" in tok or "/" in tok) else [tok]:
                if not is_content(word):
                    continue
                t = term(word)
                if t in out:
                    continue
                parts = tuple(p for p in compound_parts(word) if p != t)
                in_corpus = uses(word, self.doc_freq)
                weight = self.idf(t) if t in self.doc_freq else self._parts_idf(parts)
                alts = stand_ins(word, self.doc_freq)
                if alts:  # the corpus says it in other words: weigh it as the commonest
                    weight = self.idf(alts[0])
                out[t] = QueryTerm(t, parts, weight, in_corpus, alts)
        # a verb written with its particle ("följs … upp") is met by its fused noun too
        # ("uppföljning"), wherever in the question it stands
        for i, fused_term in fused.items():
            q = out.get(term(toks[i]))
            if q is not None and fused_term in self.doc_freq and fused_term not in q.synonyms:
                out[q.term] = replace(q, synonyms=(*q.synonyms, fused_term))
        # "mas/mar-nätverket" is required through its parts, not as one rare token
        whole = [q for q in out.values() if "-" not in q.term and "/" not in q.term]
        return whole or list(out.values())

    def knows(self, text: str) -> bool:
        """Whether the corpus has any of the text's terms, or one spelt nearly the same
        (a name the corpus spells otherwise: Ljusnarsberg / Ljusnaberg)."""
        found = self.query_terms(text)
        if any(q.in_corpus for q in found):
            return True
        from rapidfuzz import fuzz, process

        return any(
            process.extractOne(q.term, self.doc_freq.keys(), scorer=fuzz.ratio, score_cutoff=85)
            for q in found
        )

    def _parts_idf(self, parts: tuple[str, ...]) -> float:
        known = [self.idf(p) for p in parts if p in self.doc_freq]
        return max(known) if known and len(known) == len(parts) else self.max_idf


def unit_bag(text: str) -> set[str]:
    """A text's terms, the parts of its compounds and the fused verbs of its particle verbs
    ("följs upp", "uppföljningen": uppfölj)."""
    bag: set[str] = set()
    toks = tokens(text)
    for tok in toks:
        for word in [tok, *re.split(r"[-/]", tok)] if ("-" in tok or "/" in tok) else [tok]:
            if is_content(word):
                bag.add(term(word))
                bag.update(compound_parts(word))
    bag.update(fused_terms(toks))
    return bag


def asked_terms(question: str, q_terms: list[QueryTerm]) -> set[str]:
    """Every term the question as written holds or stands in for: its words, their compound
    parts and synonyms. Not the query's expansions (an acronym's long form, a follow-up's
    carried topic): the user did not write them, and a unit that spells them out tells them
    something."""
    asked = unit_bag(question)
    for q in q_terms:
        if q.term in asked:
            asked |= {*q.parts, *q.synonyms}
    return asked


# How many terms of its own a unit must add to the question to count as fully saying
# something new. Chosen on dev out of fold as policy evidence (refusal accuracy at the
# false-refusal target, AUC; 2026-12-01): a count capped at 3: 0.706, 0.857; at 6: 0.692,
# 0.855; any new term (1): 0.706, 0.852; the share of the unit's terms: 0.688, 0.856;
# without it: 0.685, 0.845.
ENOUGH_NEW = 3


def novelty(text: str, asked: set[str]) -> float:
    """How much a text says beyond the question: its own terms (numbers too) that the
    question does not hold, counted up to ENOUGH_NEW (0–1). A unit that only repeats the
    question ("• Metodhandledare ViSam-modellen" for "Hur blir man metodhandledare i
    ViSam-modellen?") tells the asker nothing: it cannot answer, however well it matches."""
    new = {term(w) for w in tokens(text) if is_content(w) and not _asked(w, asked)}
    return min(len(new), ENOUGH_NEW) / ENOUGH_NEW


def said_of(unit: Unit, q_terms: list[QueryTerm]) -> str:
    """What a unit says of the thing the question asks about. For a list whose lead-in and
    headings hold none of the question's terms, that is the one item holding more of them
    than any other: the other items are about other things ("Vilka vårdcentraler har
    infört självincheckning?" met by "Tillgänglighet: • Telefontillgänglighet •
    Självincheckning • …" names the thing and says nothing of it). Any other unit says all
    of itself."""
    if unit.kind != "list" or introduces(unit, q_terms):
        return unit.text
    items = [ln for ln in unit.text.split("\n") if BULLET.match(ln)]
    weighed = sorted(
        ((sum(q.weight * matched(q, unit_bag(it)) for q in q_terms), it) for it in items),
        key=lambda w: -w[0],
    )
    # items that share the lead enumerate what is asked about ("Vilka kommuner är med?" met
    # by "• Karlstads kommun • Arvika kommun"): the list says it as a whole
    if not weighed or weighed[0][0] <= 0 or (len(weighed) > 1 and weighed[1][0] >= weighed[0][0]):
        return unit.text
    return weighed[0][1]


def introduces(unit: Unit, q_terms: list[QueryTerm]) -> bool:
    """Whether a list's lead-in or headings name one of the terms whole, not some parts of a
    compound it asks about: "nära vård" in the heading does not introduce the list as one
    about "vårdcentraler"."""
    around = unit_bag(" ".join([unit.lead or "", *unit.chunk.heading_path[1:]]))
    return any(matched(q, around) == 1.0 for q in q_terms)


def _asked(word: str, asked: set[str]) -> bool:
    """Whether the question holds a word of the unit: its term, all of its compound parts
    ("nätverksledare" for "Vem leder nätverket?") or the particle verb its noun is made of
    ("uppföljningen" for "Hur följs planen upp?"), as unit_bag reads the question."""
    if term(word) in asked:
        return True
    parts = compound_parts(word)
    return (
        bool(parts) and all(p in asked for p in parts) or any(f in asked for f in fused_nouns(word))
    )


def matched(q: QueryTerm, bag: set[str]) -> float:
    """1 when the bag has the term (or a synonym standing in for it), the share of its
    compound parts otherwise."""
    if q.term in bag or any(a in bag for a in q.synonyms):
        return 1.0
    if q.parts:
        return sum(p in bag for p in q.parts) / len(q.parts)
    return 0.0


class UnitScorer:
    def __init__(
        self,
        neighbours: Callable[[Chunk], list[Chunk]],
        unit_vectors: Callable[[list[Unit]], dict[str, np.ndarray]],
        top_chunks: int = 4,
    ) -> None:
        self.neighbours = neighbours
        self.unit_vectors = unit_vectors
        self.top_chunks = top_chunks
        self._units: dict[str, list[tuple[Unit, set[str]]]] = {}

    def candidates(self, hits: list[Hit]) -> list[tuple[Chunk, int]]:
        out: dict[str, tuple[Chunk, int]] = {}
        for rank, hit in enumerate(hits[: self.top_chunks], start=1):
            out.setdefault(hit.chunk.chunk_id, (hit.chunk, rank))
            for nb in self.neighbours(hit.chunk):
                out.setdefault(nb.chunk_id, (nb, rank + 1))
        return list(out.values())

    def units(self, chunk: Chunk) -> list[tuple[Unit, set[str]]]:
        if chunk.chunk_id not in self._units:
            if len(self._units) > 20_000:  # bound the cache of a long-running process
                self._units.clear()
            # passages that address the assistant or ask for credentials are never quoted
            self._units[chunk.chunk_id] = [
                (u, unit_bag(u.text + " " + (u.lead or "")))
                for u in chunk_units(chunk)
                if not looks_like_injection(u.text)
            ]
        return self._units[chunk.chunk_id]

    def score(
        self,
        question: str,
        kind: str,
        q_terms: list[QueryTerm],
        hits: list[Hit],
        query_vector: list[float] | None,
        own_terms: list[QueryTerm] | None = None,
    ) -> list[Scored]:
        """`own_terms`: a follow-up's own words, when it carries the conversation's topic
        ("Vilka nyckelord lyftes fram i det arbetet?" after a question on Cherries): the
        carried question's words match what was already answered."""
        total = sum(q.weight for q in q_terms) or 1.0
        own_total = sum(q.weight for q in own_terms or []) or 1.0
        target = defined_term(question) if kind == "define" else None
        out: list[Scored] = []
        passage = {h.chunk.chunk_id: h.dense_similarity or 0.0 for h in hits}
        listed = enumerated(question)
        listed_terms = [q for q in q_terms if listed and q.term == term(listed)]
        for chunk, rank in self.candidates(hits):
            heading = unit_bag(" ".join(chunk.heading_path))
            previous: tuple[Unit, set[str]] | None = None
            last: Scored | None = None
            for unit, bag in self.units(chunk):
                # a section answers whole only "Vilka X …?" when it is introduced as X's
                if is_section(unit) and not introduces(unit, listed_terms):
                    continue
                if last is not None and last.follow is None and announces(last.unit, unit):
                    last.follow = unit
                    last.shape = max(
                        last.shape, shape(kind, unit.text, unit.kind == "list", question)
                    )
                lead = previous if unit.kind == "sentence" and ANAPHORA.match(unit.text) else None
                context_bag = heading | (lead[1] if lead else set())
                in_unit = {q.term: matched(q, bag) for q in q_terms}
                lexical = sum(q.weight * in_unit[q.term] for q in q_terms) / total
                context = (
                    sum(
                        q.weight * max(0.0, matched(q, context_bag) - in_unit[q.term])
                        for q in q_terms
                    )
                    / total
                )
                own_share = (
                    sum(q.weight * matched(q, bag) for q in own_terms) / own_total
                    if own_terms
                    else 0.0
                )
                last = Scored(
                    unit,
                    rank,
                    passage_dense=passage.get(chunk.chunk_id, 0.0),
                    lexical=lexical,
                    context=context,
                    own=own_share,
                    shape=shape(kind, unit.text, unit.kind == "list", question),
                    defining=bool(target) and defines(target, unit.text),
                    lead=lead[0] if lead else None,
                )
                out.append(last)
                if unit.kind == "sentence":
                    previous = (unit, bag)
        self._add_dense(out, query_vector)
        return out

    def _add_dense(self, scored: list[Scored], query_vector: list[float] | None) -> None:
        if query_vector is None or not scored:
            return
        vectors = self.unit_vectors([s.unit for s in scored])
        q = np.asarray(query_vector, dtype=np.float32)
        for s in scored:
            vec = vectors.get(s.unit.text)
            s.dense = float(vec @ q) if vec is not None else 0.0


def announces(unit: Unit, nxt: Unit) -> bool:
    # a lead-in announces its list, never the list's first item: a section's items stand
    # alone (units.is_section), and one of them would read as the whole list
    if unit.kind != "sentence" or nxt.kind == "item":
        return False
    text = unit.text.rstrip()
    if text.endswith(":"):
        return True
    if nxt.kind == "list":
        return False
    if ELABORATION.match(nxt.text):
        return True
    # a line that ends mid-sentence ("För mer information kontakta") is completed by the
    # next; a labelled field ends with its value ("Ingmar Ångman – Områdeschef: Välfärd och
    # folkhälsa" is a whole contact line, not the start of the paragraph after it)
    if UNFINISHED_OK.search(text):
        return False
    return not (FIELD_LINE.match(text) and is_content(text.split()[-1].lower()))


def unit_features(s: Scored) -> dict[str, float]:
    """What ranks a unit, as numbers for the fitted ranking weights (assistant/fitted.json)."""
    words = len(s.unit.text.split())
    return {
        "lexical": s.lexical,
        "context": s.context,
        "own_words": s.own,
        "dense": s.dense,
        "shape": s.shape,
        "defining": float(s.defining),
        "rank": 1.0 / s.rank,
        "heading_question": float(is_question(s.unit.text)),
        "short": float(s.unit.kind == "sentence" and words < 4),
        "list": float(s.unit.kind == "list"),
        "passage_dense": s.passage_dense,
    }


def add_relative_features(ranked: list[Scored]) -> None:
    """Where each unit stands among its question's candidates. The ranking picks units within
    one question, and raw cosines and word shares shift from question to question, so the
    distance from that question's best (and the place behind it) is what compares."""
    if not ranked:
        return
    best_dense = max(s.dense for s in ranked)
    best_coverage = max(s.coverage for s in ranked)
    dense = sorted(s.dense for s in ranked)
    coverage = sorted(s.coverage for s in ranked)
    for s in ranked:
        s.features["dense_gap"] = s.dense - best_dense
        s.features["coverage_gap"] = s.coverage - best_coverage
        # 1 for the best, 1/2 behind one better unit …; ties share a place
        s.features["dense_place"] = 1.0 / (1 + len(dense) - bisect_right(dense, s.dense))
        s.features["coverage_place"] = 1.0 / (
            1 + len(coverage) - bisect_right(coverage, s.coverage)
        )


class UnitVectors:
    """Unit vectors by unit text: those ingestion stored, read for their chunks in one query;
    any others (an index built without them) are embedded once. The cache is bounded."""

    LIMIT = 50_000

    def __init__(
        self,
        stored: Callable[[list[str]], dict[str, list[float]]] | None,
        embed: Callable[[list[str]], list[list[float]]],
    ) -> None:
        self.stored = stored
        self.embed = embed
        self._cache: dict[str, np.ndarray] = {}
        self._chunks_read: set[str] = set()

    def __call__(self, units: list[Unit]) -> dict[str, np.ndarray]:
        if len(self._cache) > self.LIMIT:
            self._cache.clear()
            self._chunks_read.clear()
        missing = [u for u in units if u.text not in self._cache]
        chunk_ids = list(
            dict.fromkeys(
                u.chunk.chunk_id for u in missing if u.chunk.chunk_id not in self._chunks_read
            )
        )
        if self.stored is not None and chunk_ids:
            for text, vec in self.stored(chunk_ids).items():
                self._cache[text] = np.asarray(vec, dtype=np.float32)
            self._chunks_read.update(chunk_ids)
        texts = list(dict.fromkeys(u.text for u in missing if u.text not in self._cache))
        if texts:
            for text, vec in zip(texts, self.embed(texts), strict=True):
                self._cache[text] = np.asarray(vec, dtype=np.float32)
        return {u.text: self._cache[u.text] for u in units if u.text in self._cache}

    def clear(self) -> None:
        self._cache.clear()
        self._chunks_read.clear()
