"""The one answer / partial / refuse decision, from typed evidence, with weights and
thresholds fitted on the dev split (`python -m evals.fit`, stored in assistant/fitted.json
with the figures that chose them). Shape rules (a person for "vem", a date for "när") are
features here and rank answers in scoring; they never refuse by themselves."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from .questions import KINDS

FITTED = Path(__file__).with_name("fitted.json")


class Action(StrEnum):
    ANSWER = "answer"
    PARTIAL = "partial"  # the topic is in the sources, but no unit clearly answers
    REFUSE = "refuse"


@dataclass(frozen=True)
class Evidence:
    """What the sources offer for one question: its best unit and the whole corpus."""

    coverage: float  # weight share of the question's terms in the best unit (+ context)
    missing_max: float  # share of the heaviest question term the best unit lacks
    absent: float  # weight share of the question's terms found nowhere in the corpus
    passage_missing: float  # weight share found in none of the top passages
    focus_missing: float  # the thing the question asks about ("Hur stor budget …") is not
    # in the chosen units (0–1); 0 when the question does not name it
    dense: float  # cosine of question and best unit (e5)
    top_dense: float  # cosine of question and the best passage
    dense_margin: float  # how far the best unit stands out in meaning from the other units
    shape_missing: float  # the question asks for a shape (a person, a date, a number, an
    # e-mail address …) and the chosen units lack it (0–1); 0 when it asks for none
    english: float  # 1 for an English question: its words cannot match the Swedish text
    novel: float = 0.0  # how much the best unit says beyond the question (0–1,
    # scoring.novelty): a unit that only repeats the question cannot answer it
    names_unshown: float = 0.0  # share of the corpus's proper names the question gives
    # ("Laxå", "Tarja Nordling") that the quoted units do not show: "Vad gör Laxå …?"
    # answered by what the region does
    requested_absent: float = 0.0  # 1 when the question names what it wants (an e-mail
    # address, a phone number, a date, opening hours, a sum) and no quoted unit shows it:
    # what is shown does not answer, so an answer is at most partial (a rule, not a weight)
    count_contradicted: float = 0.0  # 1 when the passages count what the question counts
    # but never with its number ("de sju delmålen"; the sources have five): at most partial
    only_planned: float = 0.0  # 1 when a question whether something has been done, or how it
    # turned out, meets a leading unit that speaks of it as planned or under way: at most partial
    after_sources: float = 0.0  # 1 when the question asks what happened in a year after the
    # newest document the passages come from (questions.asks_after): at most partial
    name_absent: float = 0.0  # 1 when the question names something (an acronym, a name, a
    # year) that no passage of the corpus mentions or covers: a rule, not a weight (see
    # AnswerPolicy.decide)
    kind: str = "what"  # questions.question_kind: how often each kind goes unanswered is a
    # prior the fit learns (a number, a date or a person is what the sources most often omit)

    def vector(self) -> dict[str, float]:
        rules = (
            "name_absent",
            "requested_absent",
            "count_contradicted",
            "only_planned",
            "after_sources",
            "kind",
        )
        out = {k: v for k, v in asdict(self).items() if k not in rules}
        return out | {f"kind_{k}": float(self.kind == k) for k in KINDS}


@dataclass(frozen=True)
class Decision:
    action: Action
    confidence: float  # the fitted probability that the sources answer the question
    reason: str
    by_rule: bool = False  # refused whatever the probability (AnswerPolicy.ruled_out)


@dataclass(frozen=True)
class LinearModel:
    weights: dict[str, float]
    bias: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(k, 0.0) for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class RankingModel:
    """Ranks one question's candidate units: a conditional logit (softmax over the units of
    the question), fitted on which units hold the answer. A unit is close behind the best
    when its share is at least `close` times the best's: it is quoted beside it."""

    weights: dict[str, float]
    close: float

    def shares(self, rows: list[dict[str, float]]) -> list[float]:
        z = [sum(w * r.get(k, 0.0) for k, w in self.weights.items()) for r in rows]
        top = max(z, default=0.0)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return [v / total for v in e]


@dataclass(frozen=True)
class FusionModel:
    """Fuses the three retrieval rankings by weights fitted on dev (evals.fit: a conditional
    logit over each question's candidate chunks, labelled by whether they hold its evidence,
    weights kept non-negative, so that a better rank or score never lowers a chunk). Per
    ranker three features (retrieval.fusion_features, with the RRF k and the depth the
    weights were fitted at): its RRF term, its reciprocal rank and its score against its
    best. Reciprocal rank fusion reads ranks only; the fit leans on the scores, which tell
    a clear first place from a close one."""

    weights: dict[str, float]
    rrf_k: int = 60
    depth: int = 30

    def score(self, features: dict[str, float], ranker_weights: dict[str, float]) -> float:
        return sum(
            w * features.get(name, 0.0) * ranker_weights[name.split("_", 1)[0]]
            for name, w in self.weights.items()
        )


@dataclass(frozen=True)
class AnswerPolicy:
    """Two fitted questions: do the sources answer this at all (`model`, refused below
    `refuse_below`), and does the chosen passage hold the answer (`hedge`, hedged below
    `partial_below`; without a hedge model the first probability is used for both)."""

    model: LinearModel
    refuse_below: float
    partial_below: float
    retrieval_floor: float  # LLM mode: below this passage similarity nothing is sent
    hedge: LinearModel | None = None

    def decide(self, evidence: Evidence) -> Decision:
        features = evidence.vector()
        p = self.model.probability(features)
        if ruled := self.ruled_out(evidence):
            return Decision(Action.REFUSE, p, ruled, by_rule=True)
        if p < self.refuse_below:
            return Decision(Action.REFUSE, p, _why(evidence, p))
        if evidence.requested_absent:
            return Decision(Action.PARTIAL, p, "no quoted passage shows what the question asks for")
        if evidence.count_contradicted:
            return Decision(Action.PARTIAL, p, "the sources count it otherwise than the question")
        if evidence.only_planned:
            return Decision(
                Action.PARTIAL, p, "the sources speak of it as planned, not whether it was done"
            )
        if evidence.after_sources:
            return Decision(
                Action.PARTIAL, p, "the question asks about a time after the sources were written"
            )
        right = self.hedge.probability(features) if self.hedge else p
        if right < self.partial_below:
            return Decision(Action.PARTIAL, p, f"uncertain (p={p:.2f}, right={right:.2f})")
        return Decision(Action.ANSWER, p, f"answered (p={p:.2f}, right={right:.2f})")

    @staticmethod
    def ruled_out(evidence: Evidence) -> str | None:
        """Why the sources cannot answer the question whatever the probability, or None."""
        if evidence.name_absent:  # the question's focus is absent from the whole corpus
            return "the question names something the sources never mention"
        if evidence.absent >= 1.0 and not evidence.english:  # "Tack!", "Hej", a word salad
            return "none of the question's words is in the sources"
        return None

    @classmethod
    def fitted(cls, path: Path = FITTED) -> AnswerPolicy:
        return _load(path)


def _why(e: Evidence, p: float) -> str:
    """The strongest reason against answering, for logs and the eval report."""
    if e.absent >= 0.3:
        return f"the question's topic is not in the sources (absent {e.absent:.2f}, p={p:.2f})"
    if e.missing_max >= 0.3:
        return f"the best passage lacks a key word (missing {e.missing_max:.2f}, p={p:.2f})"
    return f"weak evidence (coverage {e.coverage:.2f}, meaning {e.dense:.2f}, p={p:.2f})"


@cache
def _load(path: Path) -> AnswerPolicy:
    data = json.loads(path.read_text(encoding="utf-8"))
    pol = data["answer_policy"]
    hedge = pol.get("hedge")
    return AnswerPolicy(
        LinearModel(pol["weights"], pol["bias"]),
        pol["refuse_below"],
        pol["partial_below"],
        pol["retrieval_floor"],
        LinearModel(hedge["weights"], hedge["bias"]) if hedge else None,
    )


@cache
def ranking_model(path: Path = FITTED) -> RankingModel:
    """Weights that rank candidate units and the share that counts as close behind."""
    data = json.loads(path.read_text(encoding="utf-8"))["unit_ranking"]
    return RankingModel(data["weights"], data["close"])


@cache
def fusion_model(path: Path = FITTED) -> FusionModel | None:
    """The fitted weights that fuse the retrieval rankings; None before they are fitted."""
    data = json.loads(path.read_text(encoding="utf-8")).get("retrieval_fusion")
    if not data:
        return None
    return FusionModel(data["weights"], data["rrf_k"], data["depth"])


@cache
def translation_threshold(path: Path = FITTED) -> float | None:
    """The cosine at which an English word's nearest corpus word counts as its translation
    (assistant.crosslingual); None before it is fitted."""
    data = json.loads(path.read_text(encoding="utf-8")).get("word_translation")
    return data["min_cosine"] if data else None
