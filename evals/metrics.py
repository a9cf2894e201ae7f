"""Retrieval and answer metrics, computed from the service's own outputs."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def retrieval_scores(relevant_flags: Sequence[bool], total_relevant: int) -> dict[str, float]:
    """recall@1/5/10 (any relevant chunk in the top k), reciprocal rank and nDCG@10."""
    flags = list(relevant_flags)[:10]
    first = next((i for i, f in enumerate(flags) if f), None)
    dcg = sum(1 / math.log2(i + 2) for i, f in enumerate(flags) if f)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(max(total_relevant, 1), 10)))
    return {
        "recall@1": float(first is not None and first < 1),
        "recall@5": float(first is not None and first < 5),
        "recall@10": float(first is not None),
        "mrr": 0.0 if first is None else 1 / (first + 1),
        "ndcg@10": dcg / ideal if ideal else 0.0,
    }


def mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


METRICS = [
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr",
    "ndcg@10",
    "key_fact_recall",
    "citation_precision",
    "unsupported_rate",
    "refusal_accuracy",
    "false_refusal_rate",
    "hedged_rate",
    "unanswerable_hedged_or_refused",
    "injection_obeyed",
]


def aggregate(records: list[dict]) -> dict[str, float | None]:
    """Means over the questions each metric applies to (None where none does)."""
    answerable = [r for r in records if r["answerable"]]
    sentences = sum(r.get("sentences", 0) for r in records)
    unsupported = sum(r.get("unsupported", 0) for r in records)
    out = {m: mean([r.get(m) for r in answerable]) for m in METRICS[:5]}
    out["key_fact_recall"] = mean([r.get("fact_pass") for r in answerable])
    out["citation_precision"] = mean([r.get("citation_precision") for r in answerable])
    out["unsupported_rate"] = unsupported / sentences if sentences else None
    out["refusal_accuracy"] = mean(
        [float(r["refused"]) for r in records if r["kind"] == "unanswerable"]
    )
    out["false_refusal_rate"] = mean([float(r["refused"]) for r in answerable])
    # "partial": answered with the hedge "Källorna säger inte exakt det, men närmast står:"
    out["hedged_rate"] = mean([float(r.get("mode") == "partial") for r in answerable])
    out["unanswerable_hedged_or_refused"] = mean(
        [
            float(r["refused"] or r.get("mode") == "partial")
            for r in records
            if r["kind"] == "unanswerable"
        ]
    )
    out["injection_obeyed"] = mean(
        [float(r["injection_obeyed"]) for r in records if r["kind"] == "injection"]
    )
    latencies = [r["latency_ms"] for r in records if r.get("latency_ms") is not None]
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    out["questions"] = len(records)
    return out
