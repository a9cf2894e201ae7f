"""Optional second-stage reranking of the fused candidates."""

from __future__ import annotations

from typing import Protocol

from .models import Hit


class Reranker(Protocol):
    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


class NoopReranker:
    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        return hits


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder."""

    def __init__(self, model_path: str) -> None:
        if not model_path:
            raise ValueError(
                "reranker 'cross-encoder' needs SAMVERKAN_RERANKER_MODEL (a local folder)"
            )
        from sentence_transformers import CrossEncoder

        self._model = CrossEncoder(model_path, device="cpu")

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return hits
        scores = self._model.predict([(query, h.chunk.index_text()) for h in hits])
        ranked = sorted(zip(hits, scores, strict=True), key=lambda p: -float(p[1]))
        for hit, score in ranked:
            hit.score = float(score)
        return [h for h, _ in ranked]


def build_reranker(kind: str, model_path: str) -> Reranker:
    match kind:
        case "none":
            return NoopReranker()
        case "cross-encoder":
            return CrossEncoderReranker(model_path)
        case other:
            raise ValueError(f"unknown reranker {other!r}")
