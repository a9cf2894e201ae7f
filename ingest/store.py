"""Chroma behind a small adapter: embedded (PersistentClient) or a `chroma run` server."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


def units_collection(name: str) -> str:
    return f"{name}-units"


class ChunkStore:
    """The chunk texts, their metadata and vectors, and beside them the vectors of each
    chunk's answer units (sentences, items, lists), so that answering never embeds text.
    The embedding model that made the vectors is recorded and checked on every open."""

    def __init__(self, client, name: str, model_id: str, dim: int) -> None:
        self._client = client
        self.name = name
        self.model_id = model_id
        metadata = {"embedding_model": model_id, "dim": dim, "hnsw:space": "cosine"}
        # embedding_function=None: never let Chroma download its default model
        self.collection = client.get_or_create_collection(
            name, metadata=metadata, embedding_function=None
        )
        self.units = client.get_or_create_collection(
            units_collection(name), metadata=metadata, embedding_function=None
        )
        stored = (self.collection.metadata or {}).get("embedding_model")
        if stored and stored != model_id:
            raise EmbeddingMismatchError(
                f"the index '{name}' was built with embedding model '{stored}', but the "
                f"configured model is '{model_id}'. Re-run `samverkan ingest --rebuild` or "
                f"configure the model the index was built with."
            )

    @classmethod
    def open(cls, settings: Settings, model_id: str, dim: int, reset: bool = False) -> ChunkStore:
        """`reset` drops the collection first (a rebuild, possibly with another model)."""
        client = make_client(settings)
        if reset:
            existing = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
            for name in (settings.collection, units_collection(settings.collection)):
                if name in existing:
                    client.delete_collection(name)
        return cls(client, settings.collection, model_id, dim)

    def count(self) -> int:
        return self.collection.count()

    def ids_by_doc(self) -> dict[str, dict[str, dict]]:
        """doc_id -> {chunk_id: metadata} for everything in the index."""
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

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        self.collection.update(
            ids=[c.chunk_id for c in chunks], metadatas=[chunk_metadata(c) for c in chunks]
        )

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            self.collection.delete(ids=part)
            self.units.delete(where={"chunk_id": {"$in": part}})

    def all_chunks(self, batch: int = 5000) -> list[Chunk]:
        """Every chunk with text and metadata, read in pages (for the BM25 index)."""
        out: list[Chunk] = []
        offset = 0
        while True:
            got = self.collection.get(
                include=["documents", "metadatas"], limit=batch, offset=offset
            )
            out.extend(
                chunk_from_record(cid, text, meta)
                for cid, text, meta in zip(
                    got["ids"], got["documents"], got["metadatas"], strict=True
                )
            )
            if len(got["ids"]) < batch:
                return out
            offset += batch

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        found = {c.chunk_id: c for c in _records(got)}
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


def _records(got: dict) -> list[Chunk]:
    rows = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    return [chunk_from_record(cid, text, meta) for cid, text, meta in rows]
