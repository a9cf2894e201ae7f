"""Hybrid retrieval: Swedish-stemmed BM25 and dense search in Chroma, fused with RRF."""

from __future__ import annotations

import numpy as np

from ingest.embeddings import Embedder
from ingest.models import Chunk
from ingest.store import ChunkStore
from ingest.text import tokens

from .language import expand, expanded_terms, terms_of_tokens
from .models import Hit


def _tokens(chunk: Chunk) -> tuple[list[str], list[str]]:
    """The tokens of index_text() and of the text alone, tokenising the text once (no token
    spans the newline between the heading line and the text)."""
    body = tokens(chunk.text)
    return tokens(chunk.heading_line()) + body, body


class BM25Index:
    def __init__(self, chunks: list[Chunk]) -> None:
        import bm25s

        self.chunks = chunks
        corpus: list[list[str]] = []
        self.vocabulary: set[str] = set()
        for c in chunks:
            toks, body = _tokens(c)
            corpus.append(expand(terms_of_tokens(toks), toks))
            self.vocabulary.update(body)
        self._model = bm25s.BM25()
        if chunks:
            self._model.index(corpus, show_progress=False)
        self.doc_freq: dict[str, int] = {}
        for doc_terms in corpus:
            for t in set(doc_terms):
                self.doc_freq[t] = self.doc_freq.get(t, 0) + 1

    def idf(self, term: str) -> float:
        n = max(len(self.chunks), 1)
        df = self.doc_freq.get(term, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def search(self, query_terms: list[str], k: int) -> list[tuple[int, float]]:
        known = [t for t in query_terms if t in self.doc_freq]
        if not known or not self.chunks:
            return []
        scores = self._model.get_scores(known)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


class HybridRetriever:
    """Both rankers over the same chunks; reciprocal rank fusion with configurable weights."""

    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        chunks: list[Chunk] | None = None,
        bm25_weight: float = 1.0,
        dense_weight: float = 1.0,
        rrf_k: int = 60,
        candidates: int = 30,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.bm25_weight, self.dense_weight, self.rrf_k = bm25_weight, dense_weight, rrf_k
        self.candidates = candidates
        self.load(store.all_chunks() if chunks is None else chunks)

    def load(self, chunks: list[Chunk]) -> None:
        self.chunks = sorted(chunks, key=lambda c: (c.doc_id, c.position))
        self.by_id = {c.chunk_id: c for c in self.chunks}
        self.bm25 = BM25Index(self.chunks)
        self._index_of = {c.chunk_id: i for i, c in enumerate(self.chunks)}

    def reload(self) -> None:
        self.load(self.store.all_chunks())

    def neighbours(self, chunk: Chunk) -> list[Chunk]:
        """The chunks right before and after, when they belong to the same section."""
        i = self._index_of.get(chunk.chunk_id)
        if i is None:
            return []
        out = []
        for j in (i - 1, i + 1):
            if 0 <= j < len(self.chunks):
                other = self.chunks[j]
                if other.doc_id == chunk.doc_id and other.heading_path == chunk.heading_path:
                    out.append(other)
        return out

    def bm25_ranking(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        return [(self.chunks[i], s) for i, s in self.bm25.search(expanded_terms(query), k)]

    def dense_ranking(
        self, query: str, k: int, vector: list[float] | None = None
    ) -> list[tuple[Chunk, float]]:
        vector = self.embedder.embed_query(query) if vector is None else vector
        return [
            (self.by_id[m.chunk_id], m.similarity)
            for m in self.store.query(vector, k)
            if m.chunk_id in self.by_id
        ]

    def search(self, query: str, k: int = 10, vector: list[float] | None = None) -> list[Hit]:
        depth = max(k, self.candidates)
        fused: dict[str, Hit] = {}
        for rank, (chunk, _) in enumerate(self.bm25_ranking(query, depth), start=1):
            hit = fused.setdefault(chunk.chunk_id, Hit(chunk, 0.0))
            hit.bm25_rank = rank
            hit.score += self.bm25_weight / (self.rrf_k + rank)
        for rank, (chunk, sim) in enumerate(self.dense_ranking(query, depth, vector), start=1):
            hit = fused.setdefault(chunk.chunk_id, Hit(chunk, 0.0))
            hit.dense_rank, hit.dense_similarity = rank, sim
            hit.score += self.dense_weight / (self.rrf_k + rank)
        return sorted(fused.values(), key=lambda h: -h.score)[:k]
