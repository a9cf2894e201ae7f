"""The offline answerer: ranks the units of the top passages (scoring.py), lets the answer
policy decide (policy.py), selects the units that answer and quotes them verbatim with [n]."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from .compose import compose_quotes, refusal
from .language import is_english, names, names_and_swedish
from .models import Answer, Hit
from .policy import Action, AnswerPolicy, Decision, Evidence, LinearModel
from .questions import asks_shape, focus_word, question_kind
from .scoring import QueryTerm, Scored, UnitScorer, Vocabulary, matched, unit_bag, unit_features

SECOND_UNIT_RATIO = 0.85  # a second unit joins when it ranks this close to the best
LIST_RATIO = 0.6  # a list question takes a whole list ranked at least this close to the best
MAX_UNITS = {"who": 3}  # every party with an equal claim to a who-question, up to three
DEFAULT_MAX_UNITS = 2


@dataclass
class Assessment:
    """Everything the answerer found for one question, and the policy's decision."""

    kind: str
    english: bool
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
        ranking: LinearModel,
    ) -> None:
        self.vocabulary = vocabulary
        self.scorer = scorer
        self.policy = policy
        self.ranking = ranking

    def assess(
        self, question: str, query: str, hits: list[Hit], query_vector: list[float] | None
    ) -> Assessment | None:
        """`question` is what the user asked; `query` is it resolved and expanded. None when
        there is nothing to assess (no passages)."""
        kind = question_kind(question)
        english = is_english(question)
        # In an English question only its names and Swedish words can match the Swedish text
        q_terms = self.vocabulary.query_terms(names_and_swedish(query) if english else query)
        ranked = self.scorer.score(question, kind, q_terms, hits, query_vector)
        if not ranked:
            return None
        for s in ranked:
            s.features = unit_features(s)
            s.score = self.ranking.probability(s.features)
        ranked.sort(key=lambda s: -s.score)
        chosen = select(kind, ranked)
        evidence = self._evidence(question, kind, q_terms, chosen, ranked, hits, english)
        # a name none of whose words the corpus has: the question is about something else
        if any(not self.vocabulary.knows(name) for name in names(question)):
            evidence = replace(evidence, name_absent=1.0)
        return Assessment(kind, english, ranked, chosen, evidence, self.policy.decide(evidence))

    def answer(
        self,
        question: str,
        query: str,
        hits: list[Hit],
        query_vector: list[float] | None,
        today: date | None = None,
    ) -> Answer:
        assessment = self.assess(question, query, hits, query_vector)
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
        chosen: list[Scored],
        ranked: list[Scored],
        hits: list[Hit],
        english: bool,
    ) -> Evidence:
        top_dense = max((h.dense_similarity or 0.0 for h in hits[:3]), default=0.0)
        dense = max(s.dense for s in chosen)
        margin = dense - float(np.median([s.dense for s in ranked]))
        shape_missing = 1.0 - max(s.shape for s in chosen) if asks_shape(kind, question) else 0.0
        if english and not q_terms:  # no name or Swedish word: meaning alone decides
            return Evidence(0.0, 0.0, 0.0, 0.0, 0.0, dense, top_dense, margin, shape_missing, 1.0)
        passages: set[str] = set()
        for chunk, _ in self.scorer.candidates(hits):
            passages |= unit_bag(" ".join(chunk.heading_path))
            for _, unit_terms in self.scorer.units(chunk):
                passages |= unit_terms
        total = sum(q.weight for q in q_terms) or 1.0
        bag: set[str] = set()
        for s in chosen:
            bag |= unit_bag(
                " ".join([s.unit.text, s.unit.lead or "", *s.unit.chunk.heading_path[1:]])
            )
            for extra in (s.lead, s.follow):
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
        )


def select(kind: str, ranked: list[Scored]) -> list[Scored]:
    """The units that answer: a whole list for a list question, the best unit and those
    close behind it otherwise (every party with an equal claim for "vem")."""
    best = ranked[0]
    if kind in ("list", "count") and best.unit.kind == "item":
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
        if parent is not None and kind == "list":
            return [parent]
    if kind == "list" and best.shape < 0.6:  # "Vilka …?" wants the items: when the best unit
        # does not enumerate them (a list, or three commas), a whole list close behind it
        listed = next(
            (
                s
                for s in ranked[:5]
                if (s.unit.kind == "list" or (s.follow is not None and s.follow.kind == "list"))
                and s.score >= LIST_RATIO * best.score
            ),
            None,
        )
        return [listed or best]
    if kind == "list" or (best.unit.kind == "list" and kind not in ("who", "when", "count")):
        return [best]
    pool = [s for s in ranked if s.unit.kind != "list"] or ranked
    if kind == "define":  # "Vad är X?": the unit that defines X, when it ranks close behind
        defining = next(
            (s for s in pool[:5] if s.defining and s.score >= LIST_RATIO * pool[0].score), None
        )
        if defining is not None:
            pool = [defining, *(s for s in pool if s is not defining)]
    best = pool[0]
    chosen = [best]
    for s in pool[1:6]:
        if len(chosen) >= MAX_UNITS.get(kind, DEFAULT_MAX_UNITS):
            break
        if s.score < SECOND_UNIT_RATIO * best.score:
            continue
        # an equal claim to a who-question: the same shape and as much of the question
        if kind == "who" and (s.shape < best.shape or s.lexical < best.lexical):
            continue
        if not any(_overlaps(s, c) for c in chosen):
            chosen.append(s)
    return chosen


def _overlaps(a: Scored, b: Scored) -> bool:
    ta, tb = a.unit.text, b.unit.text
    return ta in tb or tb in ta or (a.lead is not None and a.lead.text == tb)
