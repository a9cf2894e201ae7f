"""The offline answerer: ranks the units of the top passages (scoring.py), lets the answer
policy decide (policy.py), selects the units that answer and quotes them verbatim with [n]."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from ingest.text import word_count

from .compose import compose_quotes, quoted, refusal
from .language import (
    is_common_word,
    is_english,
    names,
    names_and_swedish,
    names_asked,
    names_unshown,
)
from .models import Answer, Hit
from .policy import Action, AnswerPolicy, Decision, Evidence, RankingModel
from .questions import (
    ACRONYM,
    PERSONAL,
    Wanted,
    asks_after,
    asks_manner,
    asks_shape,
    contradicted_count,
    focus_word,
    only_planned,
    people,
    question_kind,
    requested,
    shows,
    shows_contact,
    spelled_out,
    years_asked,
)
from .scoring import (
    QueryTerm,
    Scored,
    UnitScorer,
    Vocabulary,
    add_relative_features,
    asked_terms,
    matched,
    novelty,
    said_of,
    unit_bag,
    unit_features,
)
from .units import MAX_UNITS, WORD_CAP


@dataclass
class Assessment:
    """Everything the answerer found for one question, and the policy's decision."""

    kind: str
    english: bool
    manner: bool  # the question asks how something is done (questions.asks_manner)
    ranked: list[Scored]
    chosen: list[Scored]
    evidence: Evidence
    decision: Decision

    def diagnostics(self) -> dict:
        return {
            "kind": self.kind,
            "english": self.english,
            "evidence": {k: round(v, 3) for k, v in self.evidence.vector().items()},
            "decision": self.decision.action.value,
            "confidence": round(self.decision.confidence, 3),
            "reason": self.decision.reason,
        }


class ExtractiveAnswerer:
    def __init__(
        self,
        vocabulary: Vocabulary,
        scorer: UnitScorer,
        policy: AnswerPolicy,
        ranking: RankingModel,
    ) -> None:
        self.vocabulary = vocabulary
        self.scorer = scorer
        self.policy = policy
        self.ranking = ranking

    def assess(
        self,
        question: str,
        query: str,
        hits: list[Hit],
        query_vector: list[float] | None,
        followup: bool = False,
    ) -> Assessment | None:
        """`question` is what the user asked; `query` is it resolved and expanded (with the
        conversation's topic when `followup`). None when there is nothing to assess (no
        passages)."""
        kind = question_kind(question)
        english = is_english(question)
        q_terms = self._terms(query, english)
        own = self._terms(question, english) if followup else None
        ranked = self.scorer.score(question, kind, q_terms, hits, query_vector, own)
        if not ranked:
            return None
        for s in ranked:
            s.features = unit_features(s)
        add_relative_features(ranked)
        for s, share in zip(ranked, self.ranking.shares([s.features for s in ranked]), strict=True):
            s.score = share
        ranked.sort(key=lambda s: -s.score)
        manner = asks_manner(question)
        chosen = select(kind, ranked, self.ranking.close, manner)
        # the evidence is that of the leading unit, the answer's claim: the units quoted
        # beside it would lend an unanswerable question their words (dev AUC 0.68 -> 0.76)
        evidence = self._evidence(question, kind, q_terms, chosen[0], ranked, hits, english)
        evidence = self._with_rules(evidence, question, english, chosen, hits)
        decision = self.policy.decide(evidence)
        return Assessment(kind, english, manner, ranked, chosen, evidence, decision)

    def _terms(self, text: str, english: bool) -> list[QueryTerm]:
        """The question's terms. Of an English question only those that can match the
        Swedish sources: its names and Swedish words, and the terms the corpus has, which
        are its words the sources also use ("plan", "workshop") and the Swedish words the
        query expander translated its words to (crosslingual)."""
        if not english:
            return self.vocabulary.query_terms(text)
        named = self.vocabulary.query_terms(names_and_swedish(text))
        seen = {t.term for t in named}
        shared = [t for t in self.vocabulary.query_terms(text) if t.in_corpus]
        return named + [t for t in shared if t.term not in seen]

    def _with_rules(
        self,
        evidence: Evidence,
        question: str,
        english: bool,
        chosen: list[Scored],
        hits: list[Hit],
    ) -> Evidence:
        """The evidence with what the question names or presumes set against what the
        corpus, the passages and the quoted units hold."""
        # the places, people and projects the question names, in all that the answer would
        # quote: "Vad gör Laxå …?" answered by what the region does (a name in the unit
        # quoted beside the best one, or in a list's lead-in, is shown)
        asked_names = names_asked(question, self.vocabulary.names)
        if asked_names:
            unshown = names_unshown(asked_names, " ".join(shown(s) for s in chosen))
            evidence = replace(evidence, names_unshown=unshown)
        # a name none of whose words the corpus has: the question is about something else.
        # In English only acronyms count: "Sweden" or "May" the Swedish sources write otherwise
        asked = [n for n in names(question) if not english or n.isupper()]
        # a year the sources never name nor cover ("… för 2023–2026?", "after the 2026
        # election"): what happened then is not in them (dev: 7 of 262 unanswerable, no
        # answerable question)
        if any(not self._known(name, hits) for name in asked) or (
            years_asked(question) - self.vocabulary.years
        ):
            evidence = replace(evidence, name_absent=1.0)
        if only_planned(question, shown(chosen[0])):
            evidence = replace(evidence, only_planned=1.0)
        top = hits[: self.scorer.top_chunks]
        dated = [int(h.chunk.meta.date[:4]) for h in top if (h.chunk.meta.date or "")[:4].isdigit()]
        if dated and asks_after(question, max(dated)):
            evidence = replace(evidence, after_sources=1.0)
        if contradicted_count(question, [h.chunk.text for h in top]):
            evidence = replace(evidence, count_contradicted=1.0)
        want = requested(question)
        if want is not None and not self._shows_requested(want, question, chosen):
            evidence = replace(evidence, requested_absent=1.0)
        return evidence

    def _known(self, name: str, hits: list[Hit]) -> bool:
        """Whether the corpus has the name's own words, or the passages found write the
        acronym out ("HSL": "hälso- och sjukvårdslagen"). A name of several words is known by
        those that are not common Swedish: "Region Värmland" is not known for "Region"."""
        words = name.split()
        own = [w for w in words if not is_common_word(w)] if len(words) > 1 else []
        if own and all(self.vocabulary.knows(w) for w in own):
            return True
        if not own and self.vocabulary.knows(name):
            return True
        return bool(ACRONYM.fullmatch(name)) and any(spelled_out(name, h.chunk.text) for h in hits)

    @staticmethod
    def _shows_requested(want: Wanted, question: str, chosen: list[Scored]) -> bool:
        """Whether what the answer quotes shows what the question asks for; a person's e-mail
        address, number or role near that person's name in the passage. A candidate unit
        further down would not be shown: with some fifty candidates one of them nearly always
        holds some year or date (dev: the shape was in the quoted units of every answerable
        question that names one, except one follow-up refused anyway)."""
        names = people(question) if want in PERSONAL else []
        return any(
            shows(want, shown(s), question) and shows_contact(want, s.unit.chunk.text, names)
            for s in chosen
        )

    def answer(
        self,
        question: str,
        query: str,
        hits: list[Hit],
        query_vector: list[float] | None,
        today: date | None = None,
        followup: bool = False,
    ) -> Answer:
        assessment = self.assess(question, query, hits, query_vector, followup)
        if assessment is None:
            return refusal(question, hits, "no passages retrieved")
        return self.compose(question, assessment, hits, today or date.today())

    @staticmethod
    def compose(question: str, a: Assessment, hits: list[Hit], today: date) -> Answer:
        if a.decision.action is Action.REFUSE:
            answer = refusal(question, hits, a.decision.reason, english=a.english)
        else:
            answer = compose_quotes(
                question,
                [(s.unit, s.lead, s.follow) for s in a.chosen],
                hits,
                today,
                partial=a.decision.action is Action.PARTIAL,
            )
        answer.confidence = round(a.decision.confidence, 3)
        answer.diagnostics = a.diagnostics()
        return answer

    def _evidence(
        self,
        question: str,
        kind: str,
        q_terms: list[QueryTerm],
        lead: Scored,
        ranked: list[Scored],
        hits: list[Hit],
        english: bool,
    ) -> Evidence:
        top_dense = max((h.dense_similarity or 0.0 for h in hits[:3]), default=0.0)
        dense = lead.dense
        margin = dense - float(np.median([s.dense for s in ranked]))
        shape_missing = 1.0 - lead.shape if asks_shape(kind, question) else 0.0
        if english and not q_terms:  # no name or Swedish word: meaning alone decides
            return Evidence(
                0.0, 0.0, 0.0, 0.0, 0.0, dense, top_dense, margin, shape_missing, 1.0, kind=kind
            )
        passages: set[str] = set()
        for chunk, _ in self.scorer.candidates(hits):
            passages |= unit_bag(" ".join(chunk.heading_path))
            for _, unit_terms in self.scorer.units(chunk):
                passages |= unit_terms
        total = sum(q.weight for q in q_terms) or 1.0
        unit = lead.unit
        bag = unit_bag(" ".join([unit.text, unit.lead or "", *unit.chunk.heading_path[1:]]))
        for extra in (lead.lead, lead.follow):
            if extra is not None:
                bag |= unit_bag(extra.text)
        found = {q.term: matched(q, bag) for q in q_terms}
        coverage = sum(q.weight * found[q.term] for q in q_terms) / total
        missing = [q.weight * (1 - found[q.term]) for q in q_terms]
        absent = sum(q.weight for q in q_terms if not q.in_corpus) / total
        in_passages = sum(q.weight * matched(q, passages) for q in q_terms) / total
        focus = focus_word(question)
        focus_terms = [q for q in self.vocabulary.query_terms(focus)] if focus else []
        focus_missing = 1.0 - max((matched(q, bag) for q in focus_terms), default=1.0)
        return Evidence(
            english=float(english),
            coverage=coverage,
            missing_max=max(missing, default=0.0) / total,
            absent=absent,
            passage_missing=1.0 - in_passages,
            focus_missing=focus_missing,
            dense=dense,
            top_dense=top_dense,
            dense_margin=margin,
            shape_missing=shape_missing,
            # only the leading unit's novelty is evidence: the ranking does not use it
            novel=novelty(said_of(unit, q_terms), asked_terms(question, q_terms)),
            kind=kind,
        )


NOT_A_LIST = ("who", "when", "count")  # they ask for a name, a time, a number


def select(kind: str, ranked: list[Scored], close: float, manner: bool = False) -> list[Scored]:
    """The units that answer: the one that leads (see _leading) and up to MAX_UNITS - 1
    more whose score is at least `close` times the best's (`ranked` is best first), best
    first, each only while the answer stays within WORD_CAP words. `manner`: the question
    asks how something is done (questions.asks_manner)."""
    chosen = [_leading(kind, ranked, close)]
    words = shown_words(chosen[0])
    # "Varför …?", "Hur ska …?": the best unit often states what the question echoes and
    # the next sentence gives the reason or the means ("… har ett gemensamt system för
    # kunskapsstyrning. Syftet är …"; "… är att förebygga onödiga inläggningar. Personer
    # med risker behöver identifieras tidigt …"): it is quoted second (dev, out of fold:
    # why-questions' key facts 0.718 -> 0.746, 71 questions; how-questions too: all key
    # facts at the chosen share 0.782 -> 0.786; for all questions it cost 0.773 -> 0.747)
    after = _next_in_chunk(chosen[0], ranked) if kind == "why" or manner else None
    if after is not None and chosen[0].unit.text in shown(after):
        # it points back ("Det görs för att …"): its quote holds the best unit already
        chosen, words = [after], shown_words(after)
    elif after is not None and words + shown_words(after) <= WORD_CAP:
        chosen.append(after)
        words += shown_words(after)
    for s in ranked[: 4 * MAX_UNITS]:
        if len(chosen) >= MAX_UNITS or s.score < close * ranked[0].score:
            break
        if kind in NOT_A_LIST and s.unit.kind == "list":
            continue
        if any(_overlaps(s, c) or _overlaps(c, s) for c in chosen):
            continue
        n = shown_words(s)
        if words + n <= WORD_CAP:
            chosen.append(s)
            words += n
    return chosen


def _next_in_chunk(lead: Scored, ranked: list[Scored]) -> Scored | None:
    """The sentence or item right after what the answer quotes for `lead`, in its chunk
    (nothing but white space between them)."""
    text = lead.unit.chunk.text
    start = text.find(shown(lead))
    if lead.unit.kind == "list" or start < 0:
        return None
    after = len(text) - len(text[start + len(shown(lead)) :].lstrip())  # the next non-space
    return next(
        (
            s
            for s in ranked
            if s.unit.chunk is lead.unit.chunk
            and s.unit.kind == lead.unit.kind
            and text.startswith(s.unit.text, after)
        ),
        None,
    )


def shown(s: Scored) -> str:
    """What the answer quotes for a chosen unit (compose.quoted)."""
    return quoted(s.unit, s.lead, s.follow)


def shown_words(s: Scored) -> int:
    return word_count(shown(s))


def _leading(kind: str, ranked: list[Scored], close: float) -> Scored:
    """The best unit, except: "Vilka …?" takes the whole list of a best item (a section is
    a candidate only when it lists what the question asks for: units.is_section); "Vad är
    X?" the unit that defines X when it is close behind; who/when/count questions a
    sentence rather than a list. (A list close behind a best unit that does not enumerate is
    quoted beside it like any unit close behind.)"""
    best = ranked[0]
    if kind == "list" and best.unit.kind == "item":
        parent = next(
            (
                s
                for s in ranked
                if s.unit.kind == "list"
                and s.unit.chunk is best.unit.chunk
                and best.unit.text in s.unit.text
            ),
            None,
        )
        if parent is not None:
            return parent
    if kind in NOT_A_LIST and best.unit.kind == "list":
        return next((s for s in ranked if s.unit.kind != "list"), best)
    if kind == "define":
        near = (s for s in ranked[: 4 * MAX_UNITS] if s.score >= close * best.score)
        return next((s for s in near if s.defining), best)
    return best


def _overlaps(a: Scored, b: Scored) -> bool:
    """Whether one of the two would quote the other's unit again (inside its own unit, or in
    the lead-in or the list quoted beside it)."""
    return a.unit.text in shown(b) or b.unit.text in shown(a)
