"""Hybrid retrieval: Swedish-stemmed BM25, dense search over chunks and dense search over
the chunks' answer units in Chroma, fused by weights fitted on dev (policy.FusionModel) or by
reciprocal rank fusion."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ingest.embeddings import Embedder
from ingest.models import Chunk
from ingest.snapshot import ChunkTable
from ingest.store import ChunkStore
from ingest.text import tokens

from .language import (
    expand,
    expanded_terms,
    is_content,
    proper_names,
    stand_ins,
    terms_of_tokens,
)
from .models import Hit
from .policy import FusionModel
from .questions import years_covered


def _tokens(chunk: Chunk) -> tuple[list[str], list[str]]:
    """The tokens of index_text() and of the text alone, tokenising the text once (no token
    spans the newline between the heading line and the text)."""
    body = tokens(chunk.text)
    return tokens(chunk.heading_line()) + body, body


class BM25Index:
    """bm25s over the chunks' stemmed terms, with the document frequencies the answerer
    weighs question terms by, the vocabulary of raw words the query expander corrects
    misspellings against, the years the chunks name or cover (a question about another
    year is about something the sources lack) and their proper names
    (language.proper_names). `save`/`load` keep it in files (memory-mapped
    when loaded)."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        self.chunks = chunks
        self.vocabulary: set[str] = set()
        years: set[int] = set()
        term_ids: dict[str, int] = {}
        corpus: list[list[int]] = []  # term ids, not strings: a third of the memory at 1M chunks
        for c in chunks:
            toks, body = _tokens(c)
            terms = expand(terms_of_tokens(toks), toks)
            corpus.append([term_ids.setdefault(t, len(term_ids)) for t in terms])
            self.vocabulary.update(body)
            years |= years_covered((c.text,))
        self.years = frozenset(years)
        self.names = proper_names(c.text for c in chunks)
        self._model = bm25s.BM25()
        if chunks and term_ids:
            self._model.index(bm25s.tokenization.Tokenized(corpus, term_ids), show_progress=False)
        self.doc_freq = _doc_freq(self._model)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.doc_freq:
            self._model.save(str(folder / "bm25s"), show_progress=False)
        (folder / "vocabulary.txt").write_text("\n".join(sorted(self.vocabulary)), "utf-8")
        (folder / "years.json").write_text(json.dumps(sorted(self.years)), "utf-8")
        (folder / "names.json").write_text(json.dumps(sorted(self.names)), "utf-8")

    @classmethod
    def load(cls, folder: Path, chunks: Sequence[Chunk]) -> BM25Index:
        """The index `save` wrote, for these chunks (the same, in the same order)."""
        import bm25s

        self = cls.__new__(cls)
        self.chunks = chunks
        self._model = bm25s.BM25()
        if (folder / "bm25s").is_dir():
            self._model = bm25s.BM25.load(str(folder / "bm25s"), mmap=True, show_progress=False)
            if self._model.scores["num_docs"] != len(chunks):
                raise ValueError(f"{folder}: BM25 index of another chunk list")
        self.doc_freq = _doc_freq(self._model)
        text = (folder / "vocabulary.txt").read_text("utf-8")
        self.vocabulary = set(text.split("\n")) if text else set()
        self.years = frozenset(json.loads((folder / "years.json").read_text("utf-8")))
        self.names = frozenset(json.loads((folder / "names.json").read_text("utf-8")))
        return self

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


def _doc_freq(model) -> dict[str, int]:
    """Chunks per term: the non-zero scores in the term's column of bm25s's matrix (every
    chunk that has the term scores above 0: Lucene's idf is positive)."""
    if not getattr(model, "vocab_dict", None):
        return {}
    counts = np.diff(np.asarray(model.scores["indptr"]))
    return {t: int(counts[i]) for t, i in model.vocab_dict.items() if i < len(counts) and counts[i]}


RANKERS = ("bm25", "dense", "unit")
Ranking = list[tuple[Chunk, float]]


def fusion_features(
    rankings: dict[str, Ranking], rrf_k: int, depth: int
) -> dict[str, dict[str, float]]:
    """Per candidate chunk id (in any ranking), its fusion features. A chunk a ranking does
    not hold stands just below its last place: RRF term at depth + 1, no reciprocal rank,
    and the last score (BM25: 0, as for a chunk without the query's terms)."""
    out: dict[str, dict[str, float]] = {}
    for name in RANKERS:
        ranking = rankings.get(name, [])
        top = ranking[0][1] if ranking else 0.0
        floor = 0.0 if name == "bm25" else (ranking[-1][1] if ranking else 0.0)
        placed = {c.chunk_id: (i, s) for i, (c, s) in reversed(list(enumerate(ranking, 1)))}
        for chunk, _ in (pair for r in rankings.values() for pair in r):
            f = out.setdefault(chunk.chunk_id, {})
            rank, score = placed.get(chunk.chunk_id, (depth + 1, floor))
            f[f"{name}_rrf"] = 1.0 / (rrf_k + rank)
            f[f"{name}_inverse_rank"] = 1.0 / rank if rank <= depth else 0.0
            # BM25 scores have no scale across queries (a share of the best); cosines do
            f[f"{name}_score"] = score / top if name == "bm25" and top else score - top
    return out


class HybridRetriever:
    """Three rankers over the same chunks (BM25, chunk meaning, best unit's meaning), fused
    by a fitted FusionModel or, without one, by reciprocal rank fusion; each ranker's weight
    scales its part (0 leaves it out)."""

    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        chunks: Sequence[Chunk] | None = None,
        bm25_weight: float = 1.0,
        dense_weight: float = 1.0,
        unit_weight: float = 1.0,
        rrf_k: int = 60,
        candidates: int = 30,
        bm25: BM25Index | None = None,
        fusion: FusionModel | None = None,
    ) -> None:
        """`chunks` (a ChunkTable, or any chunks) and their `bm25` index when the caller has
        them (loaded from files); otherwise read from the store and built here."""
        self.store = store
        self.embedder = embedder
        self.bm25_weight, self.dense_weight, self.rrf_k = bm25_weight, dense_weight, rrf_k
        self.unit_weight = unit_weight
        self.candidates = candidates
        self.fusion = fusion  # None: reciprocal rank fusion
        self.load(store.all_chunks() if chunks is None else chunks, bm25)

    def load(self, chunks: Sequence[Chunk], bm25: BM25Index | None = None) -> None:
        self.chunks = ChunkTable.from_chunks(chunks)  # sorted by (doc_id, position)
        self.by_id = self.chunks.by_id
        self.bm25 = bm25 if bm25 is not None else BM25Index(self.chunks)

    def reload(self) -> None:
        self.load(self.store.all_chunks())

    def neighbours(self, chunk: Chunk) -> list[Chunk]:
        """The chunks right before and after, when they belong to the same section."""
        i = self.chunks.index_of(chunk.chunk_id)
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
        terms = expanded_terms(query)
        # a word no chunk has is searched by its synonyms that chunks have
        alts = [a for t in tokens(query) if is_content(t) for a in stand_ins(t, self.bm25.doc_freq)]
        terms += [a for a in dict.fromkeys(alts) if a not in terms]
        return [(self.chunks[i], s) for i, s in self.bm25.search(terms, k)]

    def dense_ranking(
        self, query: str, k: int, vector: list[float] | None = None
    ) -> list[tuple[Chunk, float]]:
        vector = self.embedder.embed_query(query) if vector is None else vector
        return [
            (self.by_id[m.chunk_id], m.similarity)
            for m in self.store.query(vector, k)
            if m.chunk_id in self.by_id
        ]

    def unit_ranking(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        """Chunks by their best unit's meaning. Units come about eight to a chunk and the
        nearest ones cluster in few chunks, so 2k units give fewer than k chunks at times:
        RRF weighs the first places, and those are there."""
        return [
            (self.by_id[m.chunk_id], m.similarity)
            for m in self.store.query_units(vector, 2 * k)
            if m.chunk_id in self.by_id
        ][:k]

    def depth(self, k: int) -> int:
        """How deep each ranking is read for k results."""
        return max(k, self.candidates)

    def rankings(self, query: str, vector: list[float], depth: int) -> dict[str, Ranking]:
        """Each ranker's chunks and scores, best first, `depth` deep (the unit ranking is
        empty when its weight is 0: it costs a second vector query)."""
        return {
            "bm25": self.bm25_ranking(query, depth),
            "dense": self.dense_ranking(query, depth, vector),
            "unit": self.unit_ranking(vector, depth) if self.unit_weight else [],
        }

    def search(self, query: str, k: int = 10, vector: list[float] | None = None) -> list[Hit]:
        depth = self.depth(k)
        vector = self.embedder.embed_query(query) if vector is None else vector
        rankings = self.rankings(query, vector, depth)
        weights = {"bm25": self.bm25_weight, "dense": self.dense_weight, "unit": self.unit_weight}
        fused: dict[str, Hit] = {}
        for name in RANKERS:
            for rank, (chunk, _) in enumerate(rankings[name], start=1):
                hit = fused.setdefault(chunk.chunk_id, Hit(chunk, 0.0))
                setattr(hit, f"{name}_rank", rank)
                if self.fusion is None:
                    hit.score += weights[name] / (self.rrf_k + rank)
        if self.fusion is not None:
            # the features as the weights were fitted: the same k, the same depth
            features = fusion_features(rankings, self.fusion.rrf_k, self.fusion.depth)
            for chunk_id, hit in fused.items():
                hit.score = self.fusion.score(features[chunk_id], weights)
        for chunk, sim in rankings["dense"]:
            fused[chunk.chunk_id].dense_similarity = sim
        return sorted(fused.values(), key=lambda h: -h.score)[:k]
