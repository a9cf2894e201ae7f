"""Chroma behind a small adapter: embedded (PersistentClient) or a `chroma run` server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace

from .errors import EmbeddingMismatchError
from .models import Chunk, DocumentMeta
from .settings import Settings

log = logging.getLogger(__name__)
PATH_SEP = " › "
_META_FIELDS = (
    "title",
    "publisher",
    "kind",
    "date",
    "date_label",
    "valid_to",
    "validity_label",
    "original_form",
    "url",
    "file",
)


INDEX_RECORD = "__index__"


@dataclass(frozen=True)
class DocVersion:
    """The served version of one document: its chunks in order, and its metadata. Switching
    a document to a new version is one upsert of this record, so a reader sees either all of
    the old chunks or all of the new ones."""

    doc_id: str
    chunk_ids: tuple[str, ...]
    meta: DocumentMeta

    def to_json(self) -> str:
        return json.dumps(
            {"chunks": list(self.chunk_ids), "meta": asdict(self.meta)}, ensure_ascii=False
        )

    @classmethod
    def from_json(cls, doc_id: str, text: str) -> DocVersion:
        data = json.loads(text)
        return cls(doc_id, tuple(data["chunks"]), DocumentMeta(**data["meta"]))


@dataclass(frozen=True)
class Match:
    chunk_id: str
    similarity: float


def chunk_metadata(chunk: Chunk) -> dict:
    meta = {
        "doc_id": chunk.doc_id,
        "heading_path": PATH_SEP.join(chunk.heading_path),
        "section": chunk.section,
        "position": chunk.position,
        "content_hash": chunk.content_hash,
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    for field in _META_FIELDS:
        value = getattr(chunk.meta, field)
        if value:  # Chroma accepts no None values
            meta[field] = value
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    doc = DocumentMeta(doc_id=meta["doc_id"], **{f: meta.get(f) for f in _META_FIELDS if f in meta})
    return Chunk(
        chunk_id=chunk_id,
        doc_id=meta["doc_id"],
        text=text,
        heading_path=meta["heading_path"].split(PATH_SEP),
        position=int(meta["position"]),
        page=meta.get("page"),
        content_hash=meta["content_hash"],
        meta=doc,
    )


def make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def forget_client(settings: Settings):
    """Make the next client of this embedded store open it afresh, to see what another
    process wrote: embedded Chroma keeps each collection's vector index in memory, so a
    process that did not write the vectors never sees them (its queries miss a new document)
    while it reuses its client. Returns the old client system, still running for the stores
    that use it; stop it (`.stop()`) once nothing does. None for a Chroma server."""
    if settings.chroma_host:
        return None  # a server serves every client the same data
    from chromadb.api.shared_system_client import SharedSystemClient

    key = str(settings.chroma_dir)
    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        return SharedSystemClient._identifier_to_system.pop(key, None)


# Candidates HNSW keeps while searching (Chroma's default is 100). The answerer asks for 60
# units at a time, and with 100 an approximate search missed some of the nearest: which ones
# changed from one process to the next (Chroma builds the graph in memory on load), so the
# same question could get another answer after a restart (26 of 586 dev questions' top ten
# differed between two runs). 200 still differed in 5; 1,000 gave the same top ten for all
# 600 questions tried.
SEARCH_EF = 1000


def _search_wide(collection) -> None:
    """Give a collection's HNSW search SEARCH_EF candidates (a setting Chroma can change on an
    existing collection); a store that refuses (read-only) keeps its own."""
    hnsw = (getattr(collection, "configuration", None) or {}).get("hnsw") or {}
    if hnsw.get("ef_search", SEARCH_EF) >= SEARCH_EF:
        return
    try:
        collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    except Exception as exc:  # noqa: BLE001 - any backend error: search still works, narrower
        log.warning("could not widen the HNSW search of %s: %s", collection.name, exc)


def units_collection(name: str) -> str:
    return f"{name}-units"


def versions_collection(name: str) -> str:
    return f"{name}-versions"


class ChunkStore:
    """The chunk texts, their metadata and vectors, and beside them the vectors of each
    chunk's answer units (sentences, items, lists), so that answering never embeds text.
    The embedding model that made the vectors is recorded and checked on every open."""

    def __init__(
        self,
        client,
        name: str,
        model_id: str,
        dim: int,
        settings: Settings | None = None,
        check_model: bool = True,
    ) -> None:
        self._settings = settings
        self._check_model = check_model
        self.name = name
        self.model_id = model_id
        self.dim = dim
        self._attach(client)

    def _attach(self, client) -> None:
        self._client = client
        metadata = {"embedding_model": self.model_id, "dim": self.dim, "hnsw:space": "cosine"}
        # embedding_function=None: never let Chroma download its default model
        self.collection = client.get_or_create_collection(
            self.name, metadata=metadata, embedding_function=None
        )
        self.units = client.get_or_create_collection(
            units_collection(self.name), metadata=metadata, embedding_function=None
        )
        for collection in (self.collection, self.units):
            _search_wide(collection)
        # One record per document (its served version) and one for the whole index (a counter
        # that every switch raises, so a running server notices a finished ingest).
        self.versions = client.get_or_create_collection(
            versions_collection(self.name),
            metadata={"hnsw:space": "cosine"},
            embedding_function=None,
        )
        stored = (self.collection.metadata or {}).get("embedding_model")
        if stored and stored != self.model_id and self._check_model:
            raise EmbeddingMismatchError(
                f"the index '{self.name}' was built with embedding model '{stored}', but the "
                f"configured model is '{self.model_id}'. Re-run `samverkan ingest --rebuild` or "
                f"configure the model the index was built with."
            )

    @classmethod
    def open(
        cls,
        settings: Settings,
        model_id: str,
        dim: int,
        reset: bool = False,
        check_model: bool = True,
    ) -> ChunkStore:
        """`reset` drops the collection first (a rebuild, possibly with another model);
        `check_model=False` only to read what a rebuild would replace."""
        client = make_client(settings)
        if reset:
            existing = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
            for name in (
                settings.collection,
                units_collection(settings.collection),
                versions_collection(settings.collection),
            ):
                if name in existing:
                    client.delete_collection(name)
        return cls(client, settings.collection, model_id, dim, settings, check_model)

    def count(self) -> int:
        """Chunks served (those of the documents' current versions)."""
        versions = self.doc_versions()
        if versions is None:
            return self.collection.count()
        return sum(len(v.chunk_ids) for v in versions.values())

    # --- document versions ------------------------------------------------------------

    def doc_versions(self) -> dict[str, DocVersion] | None:
        """doc_id -> its served version; None for an index written before versions (then
        every chunk in the collection is served)."""
        got = self.versions.get(include=["documents"])
        if INDEX_RECORD not in got["ids"]:
            return None
        return {
            cid.removeprefix("doc:"): DocVersion.from_json(cid.removeprefix("doc:"), text)
            for cid, text in zip(got["ids"], got["documents"], strict=True)
            if cid != INDEX_RECORD
        }

    def index_version(self) -> int:
        """A counter raised by every switch of a document version (0: never written)."""
        got = self.versions.get(ids=[INDEX_RECORD], include=["metadatas"])
        return int(got["metadatas"][0]["counter"]) if got["ids"] else 0

    def start_versions(self) -> dict[str, DocVersion]:
        """Turn versions on (ingestion, before its first write). An index from before versions
        gets a record per document from its chunks as they are, so nothing disappears."""
        versions = self.doc_versions()
        if versions is not None:
            return versions
        legacy = self._legacy_chunks()
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in legacy:
            by_doc.setdefault(chunk.doc_id, []).append(chunk)
        versions = {}
        for doc_id, chunks in by_doc.items():
            chunks.sort(key=lambda c: c.position)
            versions[doc_id] = DocVersion(doc_id, tuple(c.chunk_id for c in chunks), chunks[0].meta)
        self._write_versions(list(versions.values()), [], counter=1 if versions else 0)
        return versions

    def switch(self, version: DocVersion) -> None:
        """Serve this version of the document (all its chunks must be stored)."""
        self._write_versions([version], [], counter=self.index_version() + 1)

    def retire(self, doc_ids: Sequence[str]) -> None:
        """Stop serving these documents (their chunks are deleted afterwards)."""
        if doc_ids:
            self._write_versions([], list(doc_ids), counter=self.index_version() + 1)

    def _write_versions(self, versions: list[DocVersion], retired: list[str], counter: int):
        if retired:
            self.versions.delete(ids=[f"doc:{d}" for d in retired])
        ids = [f"doc:{v.doc_id}" for v in versions] + [INDEX_RECORD]
        self.versions.upsert(
            ids=ids,
            documents=[v.to_json() for v in versions] + [""],
            metadatas=[{"doc_id": v.doc_id} for v in versions] + [{"counter": counter}],
            embeddings=[[1.0]] * len(ids),  # records, not vectors; Chroma wants one
        )

    def stored_ids(self) -> set[str]:
        """Every chunk id in the collection, served or not."""
        return set(self.collection.get(include=[])["ids"])

    def ids_by_doc(self) -> dict[str, dict[str, dict]]:
        """doc_id -> {chunk_id: metadata} for every chunk stored (served or not)."""
        out: dict[str, dict[str, dict]] = {}
        got = self.collection.get(include=["metadatas"])
        for cid, meta in zip(got["ids"], got["metadatas"], strict=True):
            out.setdefault(meta["doc_id"], {})[cid] = meta
        return out

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        self.collection.upsert(
            ids=[c.chunk_id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[chunk_metadata(c) for c in chunks],
            embeddings=[list(v) for v in vectors],
        )

    def add_units(self, texts: dict[str, list[str]], vectors: Sequence[Sequence[float]]) -> None:
        """`texts`: chunk id -> its unit texts; `vectors` in the same order."""
        rows = [(cid, i, t) for cid, ts in texts.items() for i, t in enumerate(ts)]
        if not rows:
            return
        self.units.upsert(
            ids=[f"{cid}:{i}" for cid, i, _ in rows],
            documents=[t for _, _, t in rows],
            metadatas=[{"chunk_id": cid} for cid, _, _ in rows],
            embeddings=[list(v) for v in vectors],
        )

    def chunks_with_units(self) -> set[str]:
        got = self.units.get(include=["metadatas"])
        return {m["chunk_id"] for m in got["metadatas"]}

    def unit_vectors(self, chunk_ids: Sequence[str]) -> dict[str, list[float]]:
        """Unit text -> vector for the units of these chunks (what ingestion stored)."""
        if not chunk_ids:
            return {}
        got = self.units.get(
            where={"chunk_id": {"$in": list(chunk_ids)}}, include=["documents", "embeddings"]
        )
        return dict(zip(got["documents"], got["embeddings"], strict=True))

    def delete_units(self, chunk_ids: Iterable[str]) -> None:
        ids = list(chunk_ids)
        for start in range(0, len(ids), 500):
            self.units.delete(where={"chunk_id": {"$in": ids[start : start + 500]}})

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            self.collection.delete(ids=part)
            self.units.delete(where={"chunk_id": {"$in": part}})

    def all_chunks(self, batch: int = 5000) -> list[Chunk]:
        """Every served chunk with text and metadata, read in pages (for the BM25 index).
        The version records are read first: a switch while the chunks are read leaves a
        document out (until the next reload), never mixed."""
        versions = self.doc_versions()
        if versions is None:
            return self._legacy_chunks(batch)
        served = _served(versions)
        out: list[Chunk] = []
        offset = 0
        while True:
            got = self.collection.get(
                include=["documents", "metadatas"], limit=batch, offset=offset
            )
            out.extend(_with_version(c, served) for c in _records(got) if c.chunk_id in served)
            if len(got["ids"]) < batch:
                return out
            offset += batch

    def _legacy_chunks(self, batch: int = 5000) -> list[Chunk]:
        out: list[Chunk] = []
        offset = 0
        while True:
            got = self.collection.get(
                include=["documents", "metadatas"], limit=batch, offset=offset
            )
            out.extend(_records(got))
            if len(got["ids"]) < batch:
                return out
            offset += batch

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        found = {c.chunk_id: c for c in _records(got)}
        versions = self.doc_versions()
        if versions is not None:
            served = _served(versions)
            found = {i: _with_version(c, served) for i, c in found.items() if i in served}
        return [found[i] for i in ids if i in found]

    def query(self, vector: Sequence[float], k: int) -> list[Match]:
        # No count() first: it scans the collection on every request (22 ms of a 25 ms query
        # at 100k chunks), and Chroma (embedded and server) returns no ids when it is empty.
        if k <= 0:
            return []
        res = self.collection.query(
            query_embeddings=[list(vector)], n_results=k, include=["distances"]
        )
        return [
            Match(cid, 1.0 - float(dist))
            for cid, dist in zip(res["ids"][0], res["distances"][0], strict=True)
        ]

    def query_units(self, vector: Sequence[float], k: int) -> list[Match]:
        """The chunks of the k units nearest in meaning, each once at its best unit's
        similarity, best first (a chunk whose one sentence answers a paraphrase can sit low
        in the chunk ranking: a long chunk's vector averages its other sentences in)."""
        if k <= 0:
            return []
        res = self.units.query(
            query_embeddings=[list(vector)], n_results=k, include=["metadatas", "distances"]
        )
        best: dict[str, float] = {}
        for meta, dist in zip(res["metadatas"][0], res["distances"][0], strict=True):
            if meta and "chunk_id" in meta:
                best.setdefault(meta["chunk_id"], 1.0 - float(dist))
        return [Match(cid, sim) for cid, sim in best.items()]


def _served(versions: dict[str, DocVersion]) -> dict[str, tuple[DocVersion, int]]:
    return {cid: (v, i) for v in versions.values() for i, cid in enumerate(v.chunk_ids)}


def _with_version(chunk: Chunk, served: dict[str, tuple[DocVersion, int]]) -> Chunk:
    """The document's metadata and the chunk's position come from the version record (the
    chunk's own copy is as it was first written: Chroma merges metadata on update)."""
    version, position = served[chunk.chunk_id]
    return replace(chunk, meta=version.meta, position=position)


def _records(got: dict) -> list[Chunk]:
    rows = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    return [chunk_from_record(cid, text, meta) for cid, text, meta in rows]
