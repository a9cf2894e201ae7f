"""The chunk list as files beside the store, so a service starts by reading files instead of
every chunk from Chroma (21 s at 100k chunks).

Columnar, with the texts left on disk until a chunk is read, so a service over a million
chunks holds ids, a few integers per chunk and the document metadata, not the texts.
Ingestion writes a snapshot under a new index version at the end of each run that changed
the index (`write_snapshot`); `current.json` names the version a service should read."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .models import Chunk, DocumentMeta
from .settings import Settings

FORMAT = 1
CURRENT = "current.json"
_NO_PAGE = -1


def derived_root(settings: Settings) -> Path:
    """Where the files derived from one collection live: beside the Chroma folder."""
    return settings.data_dir / "derived" / settings.collection


@dataclass(frozen=True)
class IndexStamp:
    """The index version a snapshot belongs to, as ingestion wrote it."""

    version: str
    chunks: int
    documents: int
    written: str
    format: int = FORMAT
    # The store's index counter (ChunkStore.index_version) the chunks were read at; None in
    # stamps written before it was kept (then only the chunk count can tell them stale).
    store_version: int | None = None

    @staticmethod
    def new(chunks: int, documents: int, store_version: int | None = None) -> IndexStamp:
        now = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        return IndexStamp(
            f"{now}-{uuid.uuid4().hex[:8]}", chunks, documents, now, store_version=store_version
        )

    def matches(self, chunks: int, store_version: int) -> bool:
        """Whether this snapshot is of the store as it is: the same index counter (a change
        that keeps the chunk count, e.g. an edited paragraph, raises it too), and as many
        chunks."""
        same = self.store_version is None or self.store_version == store_version
        return same and self.chunks == chunks


class ChunkTable(Sequence[Chunk]):
    """Chunks sorted by (doc_id, position), so a chunk's neighbours are the rows beside it.
    Indexing builds a `Chunk` on demand; `by_id` maps chunk ids to chunks."""

    def __init__(
        self,
        ids: list[str],
        rows: np.ndarray,
        docs: list[DocumentMeta],
        headings: list[list[str]],
        texts: bytes | _TextFile,
        text_offsets: np.ndarray,
        hashes: list[str],
    ) -> None:
        self.ids = ids
        self.rows = rows  # int32 per chunk: document, position, page (-1 none), heading path
        self.docs = docs
        self.headings = headings
        self._texts = texts
        self._offsets = text_offsets
        self._hashes = hashes
        self._index = {cid: i for i, cid in enumerate(ids)}
        self.by_id = _ById(self)
        starts = np.flatnonzero(np.diff(rows[:, 0], prepend=-1)) if len(ids) else np.array([])
        counts = np.diff(np.append(starts, len(ids)))
        # document index -> (first row, number of chunks)
        self._doc_rows = {
            int(rows[s, 0]): (int(s), int(n)) for s, n in zip(starts, counts, strict=True)
        }
        self._doc_index = {docs[d].doc_id: d for d in self._doc_rows}

    # --- building -----------------------------------------------------------------------

    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk]) -> ChunkTable:
        if isinstance(chunks, ChunkTable):
            return chunks
        ordered = sorted(chunks, key=lambda c: (c.doc_id, c.position))
        docs: dict[str, int] = {}
        doc_meta: list[DocumentMeta] = []
        heads: dict[tuple[str, ...], int] = {}
        rows = np.zeros((len(ordered), 4), dtype=np.int32)
        blobs: list[bytes] = []
        offsets = np.zeros(len(ordered) + 1, dtype=np.int64)
        for i, c in enumerate(ordered):
            if c.doc_id not in docs:
                docs[c.doc_id] = len(doc_meta)
                doc_meta.append(c.meta)
            path = tuple(c.heading_path)
            h = heads.setdefault(path, len(heads))
            rows[i] = (docs[c.doc_id], c.position, _NO_PAGE if c.page is None else c.page, h)
            blob = c.text.encode("utf-8")
            blobs.append(blob)
            offsets[i + 1] = offsets[i] + len(blob)
        return cls(
            [c.chunk_id for c in ordered],
            rows,
            doc_meta,
            [list(p) for p in heads],
            b"".join(blobs),
            offsets,
            [c.content_hash for c in ordered],
        )

    # --- files --------------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "texts.bin").write_bytes(bytes(self._texts[: int(self._offsets[-1])]))
        np.save(folder / "text_offsets.npy", self._offsets)
        np.save(folder / "rows.npy", self.rows)
        _write_lines(folder / "ids.txt", self.ids)
        _write_lines(folder / "hashes.txt", self._hashes)
        (folder / "docs.json").write_text(
            json.dumps([asdict(d) for d in self.docs], ensure_ascii=False), encoding="utf-8"
        )
        (folder / "headings.json").write_text(
            json.dumps(self.headings, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> ChunkTable:
        rows = np.load(folder / "rows.npy")
        offsets = np.load(folder / "text_offsets.npy")
        texts = _TextFile(folder / "texts.bin")
        docs = [DocumentMeta(**d) for d in json.loads((folder / "docs.json").read_text("utf-8"))]
        headings = json.loads((folder / "headings.json").read_text("utf-8"))
        ids = _read_lines(folder / "ids.txt", len(rows))
        hashes = _read_lines(folder / "hashes.txt", len(rows))
        return cls(ids, rows, docs, headings, texts, offsets, hashes)

    # --- reading ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        doc, position, page, heading = (int(x) for x in self.rows[i])
        meta = self.docs[doc]
        return Chunk(
            chunk_id=self.ids[i],
            doc_id=meta.doc_id,
            text=self.text(i),
            heading_path=list(self.headings[heading]),
            position=position,
            page=None if page == _NO_PAGE else page,
            content_hash=self._hashes[i],
            meta=meta,
        )

    def __iter__(self) -> Iterator[Chunk]:
        for i in range(len(self)):
            yield self[i]

    def text(self, i: int) -> str:
        return bytes(self._texts[int(self._offsets[i]) : int(self._offsets[i + 1])]).decode()

    def index_of(self, chunk_id: str) -> int | None:
        return self._index.get(chunk_id)

    def document_count(self) -> int:
        return len(self._doc_rows)

    def document_ids(self) -> list[str]:
        return [self.docs[d].doc_id for d in self._doc_rows]

    def document_rows(self, doc_id: str) -> range:
        """The rows of one document's chunks (in position order); empty if unknown."""
        d = self._doc_index.get(doc_id)
        if d is None:
            return range(0)
        first, n = self._doc_rows[d]
        return range(first, first + n)

    def documents(self) -> list[tuple[DocumentMeta, int]]:
        """Every document's metadata with its number of chunks."""
        return [(self.docs[d], n) for d, (_, n) in self._doc_rows.items()]


class _TextFile:
    """The texts of a loaded table, read from the file with `os.pread` when a chunk is read.
    Not memory-mapped: the kernel maps the cached pages around every page a read touches
    (fault-around), so random reads of a mapping held 0.8 GB of resident texts after 200
    questions at 1M chunks; a read copies only the text. The open file keeps an old version's
    texts readable after a new version removed its folder, until this table is dropped."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")

    def __getitem__(self, span: slice) -> bytes:
        start = span.start or 0
        return os.pread(self._file.fileno(), span.stop - start, start)


class _ById(Mapping[str, Chunk]):
    def __init__(self, table: ChunkTable) -> None:
        self._table = table

    def __getitem__(self, chunk_id: str) -> Chunk:
        i = self._table.index_of(chunk_id)
        if i is None:
            raise KeyError(chunk_id)
        return self._table[i]

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, str) and self._table.index_of(chunk_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.ids)

    def __len__(self) -> int:
        return len(self._table)


def _write_lines(path: Path, values: list[str]) -> None:
    if any("\n" in v for v in values):
        raise ValueError(f"{path.name}: a value contains a newline")
    path.write_text("\n".join(values), encoding="utf-8")


def _read_lines(path: Path, n: int) -> list[str]:
    text = path.read_text(encoding="utf-8")
    values = text.split("\n") if n else []
    if len(values) != n:
        raise ValueError(f"{path}: {len(values)} lines, expected {n}")
    return values


# --- versions ----------------------------------------------------------------------------


def read_stamp(root: Path) -> IndexStamp | None:
    try:
        data = json.loads((root / CURRENT).read_text(encoding="utf-8"))
        stamp = IndexStamp(**data)
    except (OSError, ValueError, TypeError):
        return None
    return stamp if stamp.format == FORMAT and (root / stamp.version).is_dir() else None


def snapshot_is_current(settings: Settings, chunks: int, store_version: int) -> bool:
    """Whether the current snapshot exists and is of the store as it is (IndexStamp.matches)."""
    stamp = read_stamp(derived_root(settings))
    return stamp is not None and stamp.matches(chunks, store_version)


def write_snapshot(
    settings: Settings, chunks: Sequence[Chunk], store_version: int | None = None
) -> IndexStamp:
    """Write the chunks (read from the store at its index counter `store_version`) under a new
    index version and make it current (atomically: a reader sees the old version or the
    complete new one). Older versions are removed; a process that still maps their texts
    keeps reading them until it reloads."""
    root = derived_root(settings)
    table = ChunkTable.from_chunks(chunks)
    stamp = IndexStamp.new(len(table), table.document_count(), store_version)
    tmp = root / f".tmp-{stamp.version}"
    table.save(tmp / "chunks")
    tmp.rename(root / stamp.version)
    _replace_json(root / CURRENT, asdict(stamp))
    for old in root.iterdir():
        if old.is_dir() and old.name != stamp.version:
            shutil.rmtree(old, ignore_errors=True)
    return stamp


def _replace_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
