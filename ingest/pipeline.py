"""The ingestion run: corpus files -> chunks -> vectors -> Chroma, incrementally."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import chunk_document, document_paragraphs, parse_blocks
from .embeddings import Embedder, build_embedder
from .errors import IngestError
from .library import Library
from .loaders import SUPPORTED, load
from .manifest import MANIFEST, infer_date, load_manifest, slugify
from .models import Chunk, DocumentMeta, LoadedDocument
from .settings import Settings
from .store import ChunkStore, chunk_metadata
from .units import unit_texts

log = logging.getLogger(__name__)
Progress = Callable[[int], None]


@dataclass
class IngestReport:
    documents: int = 0
    chunks_added: int = 0
    units_added: int = 0
    chunks_removed: int = 0
    chunks_kept: int = 0
    chunks_total: int = 0
    metadata_updated: int = 0
    removed_documents: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, step: str, seconds: float) -> None:
        self.timings[step] = self.timings.get(step, 0.0) + seconds


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every file below the corpus folder except the manifest and '_'/'.' build material."""
    files = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if not path.is_file() or path.name == MANIFEST:
            continue
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue
        files.append(path)
    return files


def metadata_for(
    path: Path, doc: LoadedDocument, manifest: dict[str, DocumentMeta], corpus_dir: Path
) -> DocumentMeta:
    rel = str(path.relative_to(corpus_dir))
    if rel in manifest:
        return manifest[rel]
    title = doc.inferred_title or _first_heading(doc) or path.stem
    raw = "\n".join(p.text for p in doc.pages)
    return DocumentMeta(
        doc_id=slugify(path.stem),
        title=title,
        publisher=doc.inferred_publisher or "",
        kind="dokument",
        date=doc.inferred_date or infer_date(raw),
        date_label=doc.inferred_date_label,
        original_form=path.suffix.lstrip(".").upper(),
        url=doc.inferred_url or "",
        file=rel,
    )


def _first_heading(doc: LoadedDocument) -> str | None:
    for block in parse_blocks(document_paragraphs(doc)):
        if block.kind == "heading":
            return block.text
    return None


def prepare(settings: Settings, report: IngestReport) -> tuple[dict[str, list[Chunk]], set[str]]:
    """Load, clean and chunk every file. Returns chunks per doc id, and the doc ids whose
    files failed (their previous chunks are kept rather than lost)."""
    manifest = load_manifest(settings.corpus_dir)
    by_doc: dict[str, list[Chunk]] = {}
    failed: set[str] = set()
    for path in corpus_files(settings.corpus_dir):
        rel = str(path.relative_to(settings.corpus_dir))
        doc_id = manifest[rel].doc_id if rel in manifest else slugify(path.stem)
        if path.suffix.lower() not in SUPPORTED:
            report.errors.append((rel, f"unsupported file type '{path.suffix}' (skipped)"))
            continue

        def read(path=path):
            doc = load(path)
            return doc, metadata_for(path, doc, manifest, settings.corpus_dir)

        _prepare_one(rel, doc_id, read, settings, report, by_doc, failed)
    # Fetched web pages and uploaded files, from their stored copies (no network here)
    for record in Library(settings.library_dir).records():

        def read_stored(record=record):
            path = settings.library_dir / record.file
            doc = load(path, url=record.final_url or (record.source if record.is_web else None))
            return doc, record.metadata(doc)

        _prepare_one(record.source, record.doc_id, read_stored, settings, report, by_doc, failed)
    report.documents = len(by_doc)
    return by_doc, failed


def _prepare_one(
    label: str,
    doc_id: str,
    read: Callable[[], tuple[LoadedDocument, DocumentMeta]],
    settings: Settings,
    report: IngestReport,
    by_doc: dict[str, list[Chunk]],
    failed: set[str],
) -> None:
    """Load, clean and chunk one document into `by_doc`; a failure is reported and its
    previous chunks are kept (`failed`)."""
    try:
        t0 = time.perf_counter()
        doc, meta = read()
        report.timed("load", time.perf_counter() - t0)
        t0 = time.perf_counter()
        chunks = chunk_document(
            doc,
            meta,
            settings.chunk_target_words,
            settings.chunk_max_words,
            settings.chunk_overlap_words,
        )
        report.timed("clean+chunk", time.perf_counter() - t0)
    except IngestError as exc:
        report.errors.append((label, str(exc)))
        failed.add(doc_id)
        return
    if not chunks:
        report.errors.append((label, "no text left after cleaning (skipped)"))
        failed.add(doc_id)
        return
    if meta.doc_id in by_doc:
        report.errors.append((label, f"duplicate document id '{meta.doc_id}' (skipped)"))
        return
    by_doc[meta.doc_id] = chunks


def run_ingest(
    settings: Settings,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Callable[[int], Progress] | None = None,
) -> IngestReport:
    """Bring the index in line with the corpus. New chunks are written before stale ones are
    deleted, so an interrupted run leaves either the old state or one the next run completes."""
    report = IngestReport()
    started = time.perf_counter()
    by_doc, failed = prepare(settings, report)
    t0 = time.perf_counter()
    embedder = embedder or build_embedder(settings)
    report.timed("model load", time.perf_counter() - t0)
    store = ChunkStore.open(settings, embedder.model_id, embedder.dim, reset=rebuild)
    existing = store.ids_by_doc()

    wanted = {c.chunk_id: c for chunks in by_doc.values() for c in chunks}
    present = {cid: meta for metas in existing.values() for cid, meta in metas.items()}
    to_add = [c for cid, c in wanted.items() if cid not in present]
    stale = [
        cid
        for doc, metas in existing.items()
        if doc not in failed
        for cid in metas
        if cid not in wanted
    ]
    changed_meta = [
        c for cid, c in wanted.items() if cid in present and present[cid] != chunk_metadata(c)
    ]
    report.removed_documents = sorted(set(existing) - set(by_doc) - failed)

    # Units are missing for new chunks, and for all chunks of an index built before units
    have_units = store.chunks_with_units()
    need_units = [c for cid, c in wanted.items() if cid not in have_units]
    _embed_and_add(store, embedder, to_add, need_units, settings.embed_batch_size, report, progress)
    t0 = time.perf_counter()
    if changed_meta:
        store.update_metadata(changed_meta)
    orphan_units = have_units - set(present) - set(wanted)  # left by an interrupted run
    store.delete(stale + sorted(orphan_units))
    report.timed("store", time.perf_counter() - t0)

    report.chunks_added = len(to_add)
    report.chunks_removed = len(stale)
    report.metadata_updated = len(changed_meta)
    report.chunks_kept = len(wanted) - len(to_add)
    report.chunks_total = store.count()
    report.timed("total", time.perf_counter() - started)
    return report


def _embed_and_add(
    store: ChunkStore,
    embedder: Embedder,
    chunks: list[Chunk],
    unit_chunks: list[Chunk],
    batch: int,
    report: IngestReport,
    progress: Callable[[int], Progress] | None,
) -> None:
    """Embed new chunks and the answer units of `unit_chunks`, batch by batch, in one model
    call per batch. A chunk's units are stored before the chunk itself, so a chunk in the
    index always has its units (an interrupted run leaves at most orphan units, which the
    next run's deletions and upserts settle)."""
    add_ids = {c.chunk_id for c in chunks}
    unit_ids = {c.chunk_id for c in unit_chunks}
    work = list({c.chunk_id: c for c in [*chunks, *unit_chunks]}.values())
    tick = progress(len(work)) if progress and work else None
    for start in range(0, len(work), batch):
        part = work[start : start + batch]
        new = [c for c in part if c.chunk_id in add_ids]
        units = {c.chunk_id: unit_texts(c.text) for c in part if c.chunk_id in unit_ids}
        texts = [c.index_text() for c in new] + [t for ts in units.values() for t in ts]
        t0 = time.perf_counter()
        vectors = embedder.embed_documents(texts)
        report.timed("embed", time.perf_counter() - t0)
        t0 = time.perf_counter()
        store.add_units(units, vectors[len(new) :])
        if new:
            store.add(new, vectors[: len(new)])
        report.timed("store", time.perf_counter() - t0)
        report.units_added += len(texts) - len(new)
        if tick:
            tick(len(part))
