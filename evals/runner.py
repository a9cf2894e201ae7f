"""Runs the question set through the assistant (and the naive baseline) and scores it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.compose import PARTIAL_LEAD
from assistant.service import AssistantService
from assistant.verify import check_sentences
from ingest.models import Chunk

from .dataset import Question, contains_evidence, evidence_fold, has_facts
from .metrics import aggregate, retrieval_scores
from .overlap import band


@dataclass
class SystemResult:
    """One system's records and their aggregates: overall, by kind, by overlap band."""

    records: list[dict]
    summary: dict = field(init=False)
    by_kind: dict[str, dict] = field(init=False)
    by_band: dict[str, dict] = field(init=False)

    def __post_init__(self) -> None:
        self.summary = aggregate(self.records)
        self.by_kind = _group(self.records, "kind")
        self.by_band = _group([r for r in self.records if r.get("band")], "band")

    def to_dict(self) -> dict:
        return {
            "summary": self.summary,
            "by_kind": self.by_kind,
            "by_band": self.by_band,
            "records": self.records,
        }


@dataclass
class EvalResult:
    ours: SystemResult
    baselines: dict[str, SystemResult] = field(default_factory=dict)
    ablation: dict[str, dict] = field(default_factory=dict)

    # the assistant's own figures, as most callers want them
    @property
    def records(self) -> list[dict]:
        return self.ours.records

    @property
    def summary(self) -> dict:
        return self.ours.summary

    @property
    def by_kind(self) -> dict[str, dict]:
        return self.ours.by_kind

    def to_dict(self) -> dict:
        return {
            "samverkan": self.ours.to_dict(),
            "baselines": {name: r.to_dict() for name, r in self.baselines.items()},
            "ablation": self.ablation,
        }


def evidence_text(chunk) -> str:
    """What a chunk shows a reader: its text, headings and its document's title, publisher
    and date (a page's "Senast uppdaterad" lives in the metadata, not in the text)."""
    m = chunk.meta
    labels = [m.title, m.publisher or "", m.date_label or ""]
    return "\n".join([chunk.heading_line(), chunk.text, *labels])


def _group(records: list[dict], key: str) -> dict[str, dict]:
    values = sorted({r[key] for r in records})
    return {v: aggregate([r for r in records if r[key] == v]) for v in values}


def _base_record(q: Question) -> dict:
    return {
        "id": q.id,
        "kind": q.kind,
        "split": q.split,
        "question": q.question,
        "answerable": q.answerable,
        "overlap": q.overlap,
        "band": band(q.overlap),
    }


def evaluate_question(
    service: AssistantService, q: Question, chunks: dict[str, Chunk] | None = None
) -> dict:
    """`chunks`: the index's chunks by id, read once per run (read here when not given)."""
    chunks = chunks if chunks is not None else {c.chunk_id: c for c in all_chunks(service)}
    started = time.perf_counter()
    answer = service.ask(q.question, q.history or None)
    latency = (time.perf_counter() - started) * 1000
    resolved = service.resolve(q.question, q.history or None)
    hits = service.search(resolved, k=10)
    record = _base_record(q) | {
        "answer": answer.answer,
        "refused": answer.refused,
        "confidence": answer.confidence,
        "decision": answer.diagnostics.get("reason"),
        "mode": answer.mode,
        "latency_ms": latency,
        "citations": [
            {
                "id": c.id,
                "title": c.title,
                "page": c.page,
                "section": c.section,
                "chunk_id": c.chunk_id,
            }
            for c in answer.citations
        ],
        "retrieved": [h.chunk.doc_id for h in hits[:5]],
    }
    if q.answerable and q.evidence:
        flags = [contains_evidence(evidence_text(h.chunk), q.evidence) for h in hits]
        total = sum(contains_evidence(evidence_text(c), q.evidence) for c in chunks.values())
        record.update(retrieval_scores(flags, total))
    if q.answerable and q.key_facts:
        record["fact_pass"] = float(not answer.refused and has_facts(answer.answer, q.key_facts))
    if not answer.refused:
        cited = {c.id: chunks[c.chunk_id] for c in answer.citations if c.chunk_id in chunks}
        shown = answer.answer.removeprefix(PARTIAL_LEAD)  # the hedge is not a claim
        checked = check_sentences(shown, cited, service.settings.support_threshold)
        record["sentences"] = len(checked)
        record["unsupported"] = sum(not c.ok for c in checked)
        if q.answerable and q.evidence and answer.citations:
            valid = [
                c
                for c in answer.citations
                if c.chunk_id in chunks
                and c.quote in chunks[c.chunk_id].text  # one exact substring per quote
            ]
            evidence_cited = any(
                contains_evidence(evidence_text(chunks[c.chunk_id]), q.evidence) for c in valid
            )
            record["citation_precision"] = (
                len(valid) / len(answer.citations) if evidence_cited else 0.0
            )
    if q.kind == "injection":
        forbidden = q.forbidden
        record["injection_obeyed"] = (
            bool(forbidden)
            and not answer.refused
            and evidence_fold(forbidden) in evidence_fold(answer.answer)
        )
    return record


def evaluate_baseline(baseline, q: Question) -> dict:
    started = time.perf_counter()
    text, hits = baseline.answer(q.question)
    record = _base_record(q) | {
        "answer": text,
        "refused": False,
        "mode": baseline.name,
        "latency_ms": (time.perf_counter() - started) * 1000,
    }
    if q.answerable and q.evidence:
        flags = [contains_evidence(h.text, q.evidence) for h in hits]
        record.update(retrieval_scores(flags, baseline.relevant_count(q.evidence)))
    if q.answerable and q.key_facts:
        record["fact_pass"] = float(has_facts(text, q.key_facts))
    if q.answerable and q.evidence:
        record["citation_precision"] = float(
            bool(hits) and contains_evidence(hits[0].text, q.evidence)
        )
    if q.kind == "injection":
        record["injection_obeyed"] = bool(q.forbidden) and evidence_fold(
            q.forbidden
        ) in evidence_fold(text)
    return record


def run_eval(
    service: AssistantService,
    questions: list[Question],
    baselines: list | None = None,
    progress: Callable[[], None] | None = None,
) -> EvalResult:
    chunks = {c.chunk_id: c for c in all_chunks(service)}
    records: list[dict] = []
    base_records: dict[str, list[dict]] = {b.name: [] for b in baselines or []}
    for q in questions:
        records.append(evaluate_question(service, q, chunks))
        for b in baselines or []:
            base_records[b.name].append(evaluate_baseline(b, q))
        if progress:
            progress()
    return EvalResult(
        SystemResult(records),
        {name: SystemResult(rs) for name, rs in base_records.items()},
        retrieval_ablation(service, questions),
    )


def retrieval_ablation(
    service: AssistantService,
    questions: list[Question],
    weights: list[tuple[float, float, float]] | None = None,
) -> dict[str, dict]:
    """Recall@1/@5 and MRR of each ranker alone (BM25, chunk meaning, best unit's meaning)
    and of the fused ranking (with the configured weights, or each (bm25, dense, unit)
    triple given; by reciprocal rank fusion, and by the fitted fusion when it is the one
    configured) on the same questions. Each variant is its own service (`with_settings`):
    a zero weight leaves that ranking out."""
    from .metrics import mean

    s = service.settings
    configs = {
        "bm25": (1.0, 0.0, 0.0, "rrf"),
        "dense": (0.0, 1.0, 0.0, "rrf"),
        "units": (0.0, 0.0, 1.0, "rrf"),
    }
    fusions = ["rrf"] + (["fitted"] if s.fusion == "fitted" else [])
    for wb, wd, wu in weights or [(s.bm25_weight, s.dense_weight, s.unit_weight)]:
        for fusion in fusions:
            label = "RRF" if fusion == "rrf" else "fitted"
            name = f"fused, {label} (bm25 {wb:g}, dense {wd:g}, units {wu:g})"
            configs[name] = (wb, wd, wu, fusion)
    variants = {
        name: service.with_settings(bm25_weight=wb, dense_weight=wd, unit_weight=wu, fusion=f)
        for name, (wb, wd, wu, f) in configs.items()
    }
    chunks = all_chunks(service)
    rows: dict[str, list[dict]] = {name: [] for name in variants}
    for q in questions:
        if not (q.answerable and q.evidence):
            continue
        resolved = service.resolve(q.question, q.history or None)
        total = sum(contains_evidence(evidence_text(c), q.evidence) for c in chunks)
        for name, variant in variants.items():
            hits = variant.search(resolved, 10)
            flags = [contains_evidence(evidence_text(h.chunk), q.evidence) for h in hits]
            rows[name].append(retrieval_scores(flags, total))
    return {
        name: {m: mean([r[m] for r in rs]) for m in ("recall@1", "recall@5", "mrr")}
        for name, rs in rows.items()
    }


def all_chunks(service: AssistantService) -> list[Chunk]:
    """Every chunk of the index, through the service's public view of its documents."""
    out = []
    for d in service.documents():
        view = service.document(d.meta.doc_id)
        out.extend(view.chunks if view else [])
    return out
