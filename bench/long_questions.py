"""Long-question load (issue 11, item 2) on `samverkan serve` over the real corpus, in three
phases of `--duration` seconds (README, "Performance"). A long question is 900 characters of
random 8-30 letter words, a new one per request, so no cache helps; figures are ratios against
the normal phase of the same run."""

from __future__ import annotations

import itertools
import random

import httpx

from .common import Run, ServerProcess, build_index, dev_questions, http_load, log, ratio, table

LETTERS = "abcdefghijklmnopqrstuvwxyzåäö"
QUESTION_CHARS = 900


def long_question(rng: random.Random) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < QUESTION_CHARS:
        words.append("".join(rng.choice(LETTERS) for _ in range(rng.randint(8, 30))))
    return " ".join(words)[:QUESTION_CHARS].rstrip() + "?"


def main(argv: list[str] | None = None) -> dict:
    run = Run(__doc__, argv, clients=20, duration=20.0, seed=11)
    args = run.args
    rng = random.Random(args.seed)
    questions = itertools.cycle([q.question for q in dev_questions()])
    phases = {
        "normal": lambda: {"question": next(questions)},
        "long random words": lambda: {"question": long_question(rng)},
        "normal again": lambda: {"question": next(questions)},
    }
    data_dir = run.temp("long")
    report = build_index(data_dir)
    with ServerProcess(data_dir) as server:
        server.wait_ready()
        for q in dev_questions():  # one warm pass: per-process caches of normal questions
            httpx.post(f"{server.base}/api/ask", json={"question": q.question}, timeout=120)
        for name, body in phases.items():
            phases[name] = f = http_load(
                server.base, args.clients, args.duration, body, server.proc.pid
            )
            log(f"long_questions {name}: {f['rps']}/s, errors {f['errors']}")

    base, long, again = phases["normal"], phases["long random words"], phases["normal again"]
    result = {
        "index": {"documents": report.documents, "chunks": report.chunks_total},
        "clients": args.clients,
        "duration_s": args.duration,
        "question_chars": QUESTION_CHARS,
        "phases": phases,
        "throughput_normal_over_long": ratio(base["rps"], long["rps"]),
        "target_within_3x": bool(long["rps"]) and base["rps"] / long["rps"] <= 3,
        "rss_growth_mb": round((again["rss_after_mb"] or 0) - (base["rss_before_mb"] or 0), 1),
    }
    rows = [
        {"phase": name, "ok": f["ok"], "errors": sum(f["errors"].values()), "req/s": f["rps"]}
        | {"normal/this": ratio(base["rps"], f["rps"]), "p50 ms": f["latency"].get("p50")}
        | {"p95 ms": f["latency"].get("p95"), "RSS before MB": f["rss_before_mb"]}
        | {"RSS after MB": f["rss_after_mb"]}
        for name, f in phases.items()
    ]
    title = f"/api/ask, {args.clients} clients, {args.duration:g} s per phase"
    return run.finish("long_questions", result, table(rows, title))


if __name__ == "__main__":
    main()
