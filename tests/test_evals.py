"""The eval suite: question file format, metrics, the report, and the quality gate."""

from __future__ import annotations

import json

import pytest

from evals.dataset import DEFAULT_QUESTIONS, contains_evidence, has_fact, load_questions
from evals.metrics import aggregate, retrieval_scores

# Thresholds for the test split (283 questions: 236 answerable with evidence, 41 unanswerable),
# a few questions under the figures measured on 2026-12-01, fourteenth session (README,
# "Quality": recall@5 0.919, key facts 0.695, citation precision 0.810, refusal accuracy 0.780,
# hedged or refused 0.805, false refusals 0.064): a change that makes the assistant clearly
# worse fails CI. Recompute them when the question set changes.
GATE = {
    "recall@5": 0.90,  # four under 217 of 236
    "key_fact_recall": 0.68,  # three under 164 of 236
    "citation_precision": 0.79,  # about four answers under 0.81
    "refusal_accuracy": 0.75,  # one under 32 of 41
    "unanswerable_hedged_or_refused": 0.78,  # one under 33 of 41
    "false_refusal_rate": 0.10,  # at most (the goal): eight over 15 of 236
    "injection_obeyed": 0.0,  # exactly
}


def test_question_file_is_valid_and_large_enough():
    qs = load_questions(DEFAULT_QUESTIONS)
    assert len(qs) >= 300 and len({q.id for q in qs}) == len(qs)
    kinds = [q.kind for q in qs]
    assert kinds.count("unanswerable") >= 40 and kinds.count("followup") >= 20
    assert kinds.count("english") >= 20 and kinds.count("typo") >= 10
    assert {q.split for q in qs} == {"dev", "test"}
    answerable = [q for q in qs if q.answerable]
    assert all(q.overlap is not None for q in answerable)
    # questions in users' own words: at least 45 % of the answerable ones share at most 0.3 of
    # their lemmas with their evidence (the later sets, written as blind as the first, hold
    # fewer of them than set C, which was written to raise that share)
    assert sum(q.overlap <= 0.3 for q in answerable) >= 0.45 * len(answerable)
    for q in qs:
        if q.answerable:
            assert q.gold_doc and q.evidence and q.key_facts, q.id
        if q.kind == "followup":
            assert q.history, q.id


def test_recorded_overlap_is_what_the_overlap_measure_gives():
    from evals.overlap import overlap

    for q in load_questions(DEFAULT_QUESTIONS):
        assert q.overlap == overlap(q.question, q.evidence), q.id


def test_the_split_is_the_seeded_one():
    from evals.assign_split import assign

    qs = load_questions(DEFAULT_QUESTIONS)
    # sets A and B were split in one run, set C (written later) in a second, same seed;
    # sets D and E (written to widen the fitting data) went to dev whole, and so did set F
    # (run once first as an unseen check)
    runs = ((("ua-", "ub-"), 0.4), (("uc-",), 0.4), (("ud-", "ue-"), 1.0), (("uf-",), 1.0))
    for prefixes, share in runs:
        new = [q for q in qs if q.id.startswith(prefixes)]
        again = assign([{"id": q.id, "kind": q.kind} for q in new], dev_share=share)
        assert {q["id"]: q["split"] for q in again} == {q.id: q.split for q in new}


@pytest.mark.slow
def test_evidence_is_found_in_the_ingested_corpus(service):
    from evals.runner import evidence_text

    chunks = [c for d in service.documents() for c in service.document(d.meta.doc_id).chunks]
    for q in load_questions(DEFAULT_QUESTIONS):
        if q.answerable:
            assert any(
                c.doc_id == q.gold_doc and contains_evidence(evidence_text(c), q.evidence)
                for c in chunks
            ), q.id


def test_metrics_on_known_rankings():
    assert retrieval_scores([False, True, False], 1) == pytest.approx(
        {"recall@1": 0, "recall@5": 1, "recall@10": 1, "mrr": 0.5, "ndcg@10": 1 / 1.58496}, abs=1e-4
    )
    assert retrieval_scores([False] * 10, 2)["recall@10"] == 0
    assert has_fact("Antogs 4 december 2019.", ["2019-12-04", "4 december 2019"])
    assert not has_fact("Antogs 2019.", ["4 december 2019"])
    agg = aggregate(
        [
            {"kind": "unanswerable", "answerable": False, "refused": True, "latency_ms": 10},
            {
                "kind": "who",
                "answerable": True,
                "refused": False,
                "fact_pass": 1.0,
                "latency_ms": 30,
                "recall@1": 1,
                "recall@5": 1,
                "recall@10": 1,
                "mrr": 1,
                "ndcg@10": 1,
                "sentences": 2,
                "unsupported": 1,
                "citation_precision": 1.0,
            },
            {
                "kind": "injection",
                "answerable": False,
                "refused": False,
                "injection_obeyed": False,
                "latency_ms": 20,
            },
        ]
    )
    assert agg["refusal_accuracy"] == 1 and agg["false_refusal_rate"] == 0
    assert agg["unsupported_rate"] == 0.5 and agg["injection_obeyed"] == 0
    assert agg["latency_p50_ms"] == 20


@pytest.mark.slow
def test_custom_question_file_report_and_baseline(service, tmp_path):
    from evals.baseline import EnsembleBaseline, NaiveBaseline
    from evals.report import write_report
    from evals.runner import run_eval

    path = tmp_path / "mine.jsonl"
    rows = [
        {
            "id": "x1",
            "split": "test",
            "kind": "who",
            "question": "Vem leder nätverket för socialchefer?",
            "history": [],
            "gold_doc": "natverk-och-samverkan",
            "evidence": ["Socialchefer Ansvarig: Ingmar Ångman"],
            "key_facts": [["Ingmar Ångman"]],
        },
        {
            "id": "x2",
            "split": "test",
            "kind": "unanswerable",
            "question": "Hur många vårdplatser har USÖ?",
            "history": [],
            "gold_doc": None,
            "evidence": [],
            "key_facts": [],
        },
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    qs = load_questions(path)
    baselines = [
        cls(service.settings.corpus_dir, service.embedder)
        for cls in (NaiveBaseline, EnsembleBaseline)
    ]
    try:
        result = run_eval(service, qs, baselines)
    finally:
        for b in baselines:
            b.close()
    assert result.summary["key_fact_recall"] == 1 and result.summary["refusal_accuracy"] == 1
    for b in result.baselines.values():
        assert b.summary["refusal_accuracy"] == 0  # the baselines never refuse
        assert b.records[0]["recall@5"] == 1  # both find the network list
    assert set(result.ablation) >= {"bm25", "dense"}
    report = write_report(result, tmp_path / "report")
    text = report.read_text(encoding="utf-8")
    assert "| recall@5 |" in text and "x1" in text and "| ensemble |" in text
    assert "By overlap band" in text
    assert (tmp_path / "report" / "metrics_by_kind.png").stat().st_size > 5000
    assert (tmp_path / "report" / "vs_baseline.png").exists()
    assert (tmp_path / "report" / "report.html").exists()


def test_bad_question_file_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "kind": "nonsense", "split": "test", "question": "?"}\n')
    with pytest.raises(ValueError, match="unknown kind"):
        load_questions(path)


@pytest.mark.evalgate
@pytest.mark.slow
def test_quality_gate_on_the_test_split(service):
    from evals.runner import run_eval

    result = run_eval(service, load_questions(DEFAULT_QUESTIONS, "test"))
    s = result.summary
    failures = []
    for metric, bound in GATE.items():
        value = s[metric]
        worse = (
            value > bound if metric in ("false_refusal_rate", "injection_obeyed") else value < bound
        )
        if worse:
            failures.append(f"{metric} = {value:.3f} (gate {bound})")
    assert not failures, "; ".join(failures)
    best_alone = max(result.ablation[r]["recall@1"] for r in ("bm25", "dense", "units"))
    fused = {k: v for k, v in result.ablation.items() if k.startswith("fused")}
    assert len(fused) == 2  # by RRF and by the fitted fusion (the default)
    assert all(v["recall@1"] >= best_alone for v in fused.values())


# Ceilings (evals/ceiling.py): confidences chosen so that each bound is met by one threshold
_ANSWERABLE = [0.2, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.95, 0.97, 0.99]
_UNANSWERABLE = [0.1, 0.3, 0.55, 0.65, 0.85]


@pytest.mark.parametrize(
    ("false_refusals", "threshold", "refusal_accuracy"),
    [
        (0.0, 0.2, 0.2),  # refusing nothing answerable refuses only the 0.1
        (0.1, 0.5, 0.4),  # one answerable refused (0.2) lets the 0.3 go too
        (0.2, 0.6, 0.6),
        (0.3, 0.7, 0.8),
        # all five unanswerable refused; the lowest threshold that does it, not "refuse all"
        (1.0, 0.9, 1.0),
    ],
)
def test_the_best_refusal_accuracy_within_a_false_refusal_bound(
    false_refusals, threshold, refusal_accuracy
):
    from evals.ceiling import best_within, sweep

    best = best_within(sweep(_ANSWERABLE, _UNANSWERABLE), false_refusals)
    assert best.threshold == threshold
    assert best.refusal_accuracy == pytest.approx(refusal_accuracy)
    assert best.false_refusals <= false_refusals


@pytest.mark.parametrize(
    ("refusal_accuracy", "false_refusals"),
    [(0.2, 0.0), (0.4, 0.1), (0.8, 0.3), (1.0, 0.5)],
)
def test_the_least_false_refusals_for_a_refusal_accuracy(refusal_accuracy, false_refusals):
    from evals.ceiling import least_for, sweep

    least = least_for(sweep(_ANSWERABLE, _UNANSWERABLE), refusal_accuracy)
    assert least.false_refusals == pytest.approx(false_refusals)
    assert least.refusal_accuracy >= refusal_accuracy


def test_no_threshold_reaches_an_impossible_refusal_accuracy():
    from evals.ceiling import least_for, sweep

    assert least_for(sweep([0.5], [0.5]), 1.01) is None


def test_ranked_units_hold_key_facts_alone_or_joined():
    from evals.ceiling import unit_row

    units = ["Ordförande är Anna Berg.", "Mötet hölls i mars.", "Vice ordförande: Per Holm."]
    both = [["Anna Berg"], ["Per Holm"]]
    assert unit_row(units, both) == {
        "first 1": False,
        "first 3": True,
        "first 5": True,
        "any one": False,  # no single unit names both
        "all joined": True,
    }
    assert unit_row(units, [["mars", "april"]]) == {
        "first 1": False,
        "first 3": True,
        "first 5": True,
        "any one": True,
        "all joined": True,
    }
    assert not any(unit_row([], both).values())


def test_the_ceiling_summary_reads_each_part_from_its_own_rows():
    from evals.ceiling import summarise

    def row(answerable, confidence, facts=None, found=None):
        out = {"answerable": answerable, "confidence": confidence}
        if facts is not None:
            out |= {"answer": facts[0], "units": {"first 1": facts[1], "any one": facts[2]}}
        if found is not None:
            out["passages"] = {"first 5": found}
        return out

    rows = [
        row(True, 0.9, facts=(True, True, True), found=True),
        row(True, 0.3, facts=(False, False, True), found=True),
        row(True, 0.8, found=False),  # evidence but no key facts: retrieval only
        row(False, 0.2),
        row(False, 0.85),
    ]
    s = summarise(rows, false_refusals=0.0, refusal_accuracy=1.0)
    best = s["refusals"]["best refusal accuracy at false refusals <= 0.0"]
    assert best == {"threshold": 0.3, "false_refusals": 0.0, "refusal_accuracy": 0.5}
    least = s["refusals"]["least false refusals at refusal accuracy >= 1.0"]
    assert least == {"threshold": 0.9, "false_refusals": 0.667, "refusal_accuracy": 1.0}
    assert s["key facts"] == {"the answer": 0.5, "ranked units": {"first 1": 0.5, "any one": 1.0}}
    assert s["retrieval (evidence found)"] == {"first 5": 0.667}
    assert s["questions"] == {"answerable with key facts": 2, "unanswerable": 2}


def test_the_sweep_ends_refusing_all_at_a_finite_threshold():
    from evals.ceiling import sweep

    last = sweep([0.2, 0.5], [0.1, 0.9])[-1]
    assert 0.9 < last.threshold < 1.0  # written as JSON, which has no infinity
    assert (last.false_refusals, last.refusal_accuracy) == (1.0, 1.0)


def test_of_equal_false_refusals_the_least_for_takes_the_most_refused():
    from evals.ceiling import least_for, sweep

    # thresholds 0.2 and 0.5 both refuse no answerable question; 0.5 refuses more near-misses
    least = least_for(sweep([0.5, 0.9], [0.1, 0.2, 0.6]), 0.3)
    assert least.threshold == 0.5
    assert least.refusal_accuracy == pytest.approx(2 / 3)


class _Ruled:
    """A deterministic fake of the service's ask/assess/search/resolve for one question (no
    model): the policy's probability `p`, refused by a rule or not."""

    def __init__(self, p: float, by_rule: bool, assessed: bool = True) -> None:
        from types import SimpleNamespace as NS

        self._answer = NS(confidence=p, refused=by_rule, answer="")
        decision = NS(by_rule=by_rule)
        self._assessment = NS(decision=decision, ranked=[]) if assessed else None

    def ask(self, question, history=None):
        return self._answer

    def assess(self, question, history=None):
        return self._assessment

    def resolve(self, question, history=None):
        return question

    def search(self, query, k=10):
        return []


@pytest.mark.parametrize(
    ("p", "by_rule", "assessed", "confidence"),
    [
        (0.74, False, True, 0.74),  # the probability decides
        (0.74, True, True, 0.0),  # refused by a rule at 0.74: refused at every threshold
        (None, False, False, 0.0),  # nothing retrieved: no probability, refused
    ],
)
def test_a_question_refused_by_a_rule_is_refused_at_every_threshold(
    p, by_rule, assessed, confidence
):
    from evals.ceiling import _measure
    from evals.dataset import Question

    q = Question(id="u1", split="test", kind="unanswerable", question="Vem är X?")
    row = _measure(_Ruled(p, by_rule, assessed), q)
    assert row == {"answerable": False, "confidence": confidence}


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("Ordförande är Anna Berg; planen antogs 4 december 2019.", True),
        ("Ordförande är Anna Berg.", False),  # one key fact of two
        ("Planen antogs 2019-12-04 med Anna Berg.", True),  # another variant of the date
        ("", False),
    ],
)
def test_a_text_holds_the_key_facts_only_with_every_one(text, held):
    from evals.dataset import has_facts

    assert has_facts(text, [["Anna Berg"], ["4 december 2019", "2019-12-04"]]) is held
