"""Cold start: time from process start to /readyz 200 with the real corpus index.

    .venv/bin/python -m bench.cold_start [--runs 3] [--timeout 120]

The real corpus is ingested once, by `samverkan ingest` in a subprocess, into a temp data dir.
Then, `--runs` times: `samverkan serve` is started as a subprocess on a free loopback port and
/readyz is polled every 50 ms until it answers 200; the first POST /api/ask after that is
timed; the server is stopped. The server's own output gives the phases (arrival time of each
line): the CLI's banner (interpreter + `api.cli` + settings), uvicorn's "Started server process"
(+ uvicorn, `api.app`, create_app), "Application startup complete" (the lifespan: embedding
model, Chroma, BM25, glossary), then the first 200 from /readyz.

For the split without a server, each run also starts a probe interpreter that times the same
steps in order: `import api.cli`, `import uvicorn` + `api.app`, create_app, the embedding model,
ChunkStore.open, AssistantService.from_settings (opens the store again: the rest of the lifespan
is retrieval set-up). `python -c pass` gives the interpreter's own start.
Writes bench/results/cold_start.json."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time

import httpx

from .common import (
    CORPUS,
    ServerProcess,
    environment,
    finish_env,
    loadavg,
    server_env,
    table,
    temp_dir,
    venv_bin,
    verdict,
    write_json,
)

TARGET_S = 10.0

PROBE = r"""
import json, time
t = [time.perf_counter()]
import api.cli
t.append(time.perf_counter())
import uvicorn
from api.app import create_app
t.append(time.perf_counter())
from ingest.settings import get_settings
settings = get_settings()
app = create_app(settings)
t.append(time.perf_counter())
from ingest.embeddings import build_embedder
embedder = build_embedder(settings)
t.append(time.perf_counter())
from ingest.store import ChunkStore
ChunkStore.open(settings, embedder.model_id, embedder.dim)
t.append(time.perf_counter())
from assistant.service import AssistantService
service = AssistantService.from_settings(settings, embedder=embedder)
t.append(time.perf_counter())
names = ["import api.cli", "import uvicorn + api.app", "settings + create_app",
         "embedding model", "ChunkStore.open", "AssistantService.from_settings"]
print(json.dumps({"chunks": service.stats().chunks,
                  "phases": {n: b - a for n, a, b in zip(names, t, t[1:])}}))
"""

PHASES = [
    ("interpreter, imports (api.cli, uvicorn, api.app), settings", "Samverkansassistenten: http"),
    ("+ create_app, uvicorn start", "Started server process"),
    ("lifespan start", "Waiting for application startup"),
    ("lifespan done (service built)", "Application startup complete"),
    ("socket listening", "Uvicorn running on"),
]


def wall(cmd: list[str], env: dict, cwd) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise SystemExit(f"{cmd[:3]} failed:\n{out.stderr[-2000:]}")
    return time.perf_counter() - t0, out.stdout


def import_profile(env: dict, cwd, top: int = 10) -> list[tuple[str, int, float]]:
    """`python -X importtime -c "import api.app"`: the modules up to three levels below
    api.app with the largest cumulative import time: (module, depth, seconds)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import api.app"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = []
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        if depth <= 3:
            rows.append((int(parts[1]) / 1e6, depth, name.strip()))
    rows.sort(reverse=True)
    return [(name, depth, round(t, 3)) for t, depth, name in rows[:top]]


def spread(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120, help="bound per server start")
    args = ap.parse_args(argv)
    env = environment()

    data_dir = temp_dir("cold")
    senv = server_env(data_dir)
    ingest_s, ingest_out = wall([str(venv_bin("samverkan")), "ingest"], senv, data_dir)
    print(f"ingest (once, subprocess): {ingest_s:.1f} s — {ingest_out.strip()}", flush=True)

    runs = []
    for i in range(args.runs):
        load0 = loadavg()
        interp_s, _ = wall([sys.executable, "-c", "pass"], senv, data_dir)
        probe_s, probe_out = wall([sys.executable, "-c", PROBE], senv, data_dir)
        probe = json.loads(probe_out.strip().splitlines()[-1])

        server = ServerProcess(data_dir)
        try:
            ready_s = server.wait_ready(timeout=args.timeout, interval=0.05)
            t0 = time.perf_counter()
            r = httpx.post(
                f"{server.base}/api/ask",
                json={"question": "Vem leder nätverket för socialchefer?"},
                timeout=120,
            )
            first_ask_s = time.perf_counter() - t0
            first_ok = r.status_code == 200
            phases = {label: server.line_time(needle) for label, needle in PHASES}
        finally:
            server.stop()
        run = {
            "ready_s": round(ready_s, 3),
            "server_phases_s": {
                k: round(v, 3) if v is not None else None for k, v in phases.items()
            },
            "first_ask_s": round(first_ask_s, 3),
            "first_ask_ok": first_ok,
            "python_c_pass_s": round(interp_s, 3),
            "probe_wall_s": round(probe_s, 3),
            "probe_phases_s": {k: round(v, 3) for k, v in probe["phases"].items()},
            "probe_chunks": probe["chunks"],
            "loadavg_before": load0,
        }
        runs.append(run)
        print(
            f"run {i + 1}: ready {ready_s:.2f} s, first ask {first_ask_s:.2f} s, loadavg {load0}",
            flush=True,
        )

    imports = import_profile(senv, data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)
    ready = spread([r["ready_s"] for r in runs])
    ok = ready["max"] <= TARGET_S if runs else None
    result = {
        "benchmark": "cold_start",
        "corpus": str(CORPUS),
        "ingest_s": round(ingest_s, 2),
        "ingest_output": ingest_out.strip(),
        "runs": runs,
        "ready_s": ready,
        "first_ask_s": spread([r["first_ask_s"] for r in runs]),
        "import_api_app_top_cumulative_s": imports,
        "targets": {
            "median_ready<=10s": ready["median"] <= TARGET_S if runs else None,
            "max_ready<=10s": ok,
        },
        "environment": finish_env(env),
    }
    path = write_json("cold_start", result)

    print()
    rows = [
        [
            "process start → /readyz 200",
            *(r["ready_s"] for r in runs),
            ready["min"],
            ready["median"],
            ready["max"],
        ]
    ]
    for label, _ in PHASES:
        vals = [r["server_phases_s"][label] for r in runs]
        s = spread(vals)
        rows.append([f"  {label}", *vals, s.get("min"), s.get("median"), s.get("max")])
    fa = result["first_ask_s"]
    rows.append(
        [
            "first POST /api/ask after ready",
            *(r["first_ask_s"] for r in runs),
            fa["min"],
            fa["median"],
            fa["max"],
        ]
    )
    run_cols = [f"run {i + 1} s" for i in range(len(runs))]
    print(
        table(
            ["measure", *run_cols, "min", "median", "max"],
            rows,
            title="Server (`samverkan serve`): times from process start (s)",
        )
    )
    print()
    rows = [["python -c pass", *(r["python_c_pass_s"] for r in runs)]]
    for name in runs[0]["probe_phases_s"] if runs else []:
        rows.append([f"  {name}", *(r["probe_phases_s"][name] for r in runs)])
    rows.append(["probe interpreter, wall", *(r["probe_wall_s"] for r in runs)])
    print(
        table(
            ["step (separate probe interpreter)", *run_cols],
            rows,
            title="Split: import time vs lifespan work (s)",
        )
    )
    print()
    print(
        table(
            ["module (python -X importtime -c 'import api.app')", "depth", "cumulative s"],
            imports,
            title="Where the import time goes (largest cumulative)",
        )
    )
    print()
    print(
        table(
            ["target", "value", "verdict"],
            [
                [
                    "median process start → /readyz ≤ 10 s",
                    ready.get("median"),
                    verdict(result["targets"]["median_ready<=10s"]),
                ],
                [
                    "max process start → /readyz ≤ 10 s",
                    ready.get("max"),
                    verdict(result["targets"]["max_ready<=10s"]),
                ],
            ],
            title="Target",
        )
    )
    print(f"\nloadavg {env['loadavg_start']} → {env['loadavg_end']}; raw JSON: {path}")
    return result


if __name__ == "__main__":
    main()
