"""How far the answerer's own parts could take it on a split: the ceilings behind issue 10's
unmet targets. Reported, never tuned on: every "best" below is chosen on the split itself,
which is what makes it a ceiling (no threshold fitted elsewhere can beat it).

    python -m evals.ceiling [--split test]

- Refusals: the policy's confidence swept over every threshold. The best refusal accuracy at
  a false-refusal rate of at most --false-refusals, and the least false-refusal rate at which
  refusal accuracy reaches --refusal-accuracy. A question the policy refuses by a rule
  (whatever its probability: `Decision.by_rule`) or for which nothing is retrieved counts as
  refused at every threshold. Rates are pooled over the split's questions, as the eval
  reports them (the fit averages them over question sets: not the same scale as its
  out-of-fold figures).
- Key facts: whether the answer units the answerer ranks hold all of a question's key facts:
  the first 1, 3 and 5 joined, any one unit, all of them joined; beside the answer's own.
- Retrieval: the evidence within the first 5, 10 and 20 passages.

Writes evals/results/ceiling.json."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .dataset import Question, contains_evidence, has_facts, load_questions
from .fit import rates

RESULTS = Path(__file__).with_name("results") / "ceiling.json"
UNIT_DEPTHS = (1, 3, 5)
PASSAGE_DEPTHS = (5, 10, 20)


@dataclass(frozen=True)
class Sweep:
    """One threshold on the policy's confidence: below it a question is refused."""

    threshold: float
    false_refusals: float  # share of answerable questions refused
    refusal_accuracy: float  # share of unanswerable questions refused


def sweep(answerable: list[float], unanswerable: list[float]) -> list[Sweep]:
    """Every distinct threshold over the confidences, and the least one above them all
    (refuse all)."""
    probs = np.array([*answerable, *unanswerable], dtype=float)
    labels = np.array([1] * len(answerable) + [0] * len(unanswerable))
    cuts = [*sorted(set(probs.tolist())), float(np.nextafter(probs.max(), np.inf))]
    return [Sweep(t, *rates(probs, labels, t)) for t in cuts]


def best_within(points: list[Sweep], false_refusals: float) -> Sweep:
    """The highest refusal accuracy among thresholds refusing at most that share of the
    answerable questions (the lowest threshold among ties)."""
    allowed = [p for p in points if p.false_refusals <= false_refusals]
    return max(allowed, key=lambda p: (p.refusal_accuracy, -p.threshold))


def least_for(points: list[Sweep], refusal_accuracy: float) -> Sweep | None:
    """The threshold that reaches the refusal accuracy with the fewest false refusals."""
    reaching = [p for p in points if p.refusal_accuracy >= refusal_accuracy]
    return min(
        reaching, key=lambda p: (p.false_refusals, -p.refusal_accuracy, p.threshold), default=None
    )


def holds(texts: list[str], key_facts: list[list[str]]) -> bool:
    """Whether the texts joined hold every key fact."""
    return has_facts("\n".join(texts), key_facts)


def unit_row(units: list[str], key_facts: list[list[str]]) -> dict[str, bool]:
    row = {f"first {k}": holds(units[:k], key_facts) for k in UNIT_DEPTHS}
    row["any one"] = any(holds([u], key_facts) for u in units)
    row["all joined"] = holds(units, key_facts)
    return row


def _measure(service, q: Question) -> dict:
    from .runner import evidence_text

    history = q.history or None
    answer = service.ask(q.question, history)
    assessment = service.assess(q.question, history)
    ruled = assessment is None or assessment.decision.by_rule
    # refused at every threshold: below any probability
    out = {"answerable": q.answerable, "confidence": 0.0 if ruled else answer.confidence}
    if q.answerable and q.key_facts:
        units = [s.unit.text for s in assessment.ranked] if assessment else []
        out["units"] = unit_row(units, q.key_facts)
        out["answer"] = not answer.refused and holds([answer.answer], q.key_facts)
    if q.answerable and q.evidence:
        hits = service.search(service.resolve(q.question, history), k=max(PASSAGE_DEPTHS))
        flags = [contains_evidence(evidence_text(h.chunk), q.evidence) for h in hits]
        out["passages"] = {f"first {k}": any(flags[:k]) for k in PASSAGE_DEPTHS}
    return out


def _rounded(point: Sweep | None) -> dict | None:
    return {k: round(v, 3) for k, v in asdict(point).items()} if point else None


def _share(rows: list[dict], key: str) -> dict[str, float]:
    found = [r[key] for r in rows if key in r]
    return (
        {name: round(sum(r[name] for r in found) / len(found), 3) for name in found[0]}
        if found
        else {}
    )


def summarise(rows: list[dict], false_refusals: float, refusal_accuracy: float) -> dict:
    answerable = [r["confidence"] for r in rows if r["answerable"]]
    unanswerable = [r["confidence"] for r in rows if not r["answerable"]]
    points = sweep(answerable, unanswerable) if answerable and unanswerable else []
    facts = [r for r in rows if "units" in r]
    return {
        "refusals": {
            f"best refusal accuracy at false refusals <= {false_refusals}": _rounded(
                best_within(points, false_refusals) if points else None
            ),
            f"least false refusals at refusal accuracy >= {refusal_accuracy}": _rounded(
                least_for(points, refusal_accuracy)
            ),
        },
        "key facts": {
            "the answer": (
                round(sum(r["answer"] for r in facts) / len(facts), 3) if facts else None
            ),
            "ranked units": _share(rows, "units"),
        },
        "retrieval (evidence found)": _share(rows, "passages"),
        "questions": {
            "answerable with key facts": len(facts),
            "unanswerable": sum(not r["answerable"] for r in rows),
        },
    }


def main(argv: list[str] | None = None) -> dict:
    from assistant.service import AssistantService
    from ingest.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="test", choices=("test", "dev", "all"))
    parser.add_argument("--false-refusals", type=float, default=0.10)
    parser.add_argument("--refusal-accuracy", type=float, default=0.90)
    args = parser.parse_args(argv)
    questions = [
        q
        for q in load_questions(split=None if args.split == "all" else args.split)
        if q.kind != "injection"
    ]
    service = AssistantService.from_settings(Settings())
    rows = [_measure(service, q) for q in questions]
    summary = {"split": args.split} | summarise(rows, args.false_refusals, args.refusal_accuracy)
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    RESULTS.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return summary


if __name__ == "__main__":
    main()
