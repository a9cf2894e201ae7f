"""The files a service starts from: the chunk snapshot ingestion writes per index version, and
the BM25 index, vocabulary and glossary derived from it. Fast tier: real Chroma in tmp_path
and the real corpus, with the hashing fake embedder of tests/fakes.py instead of a model (the
vectors do not matter here, only that the service starts from files and finds the same)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from assistant import derived
from assistant.derived import load_or_build
from assistant.glossary import extract_terms
from assistant.language import expanded_terms
from assistant.rerank import NoopReranker
from assistant.retrieval import BM25Index, HybridRetriever
from assistant.service import AssistantService
from ingest.pipeline import run_ingest
from ingest.snapshot import ChunkTable, derived_root, read_stamp
from ingest.store import ChunkStore

from .conftest import CORPUS, make_settings
from .fakes import CHUNKS, HashEmbedder


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The real corpus ingested with the fake embedder; returns its settings."""
    settings = make_settings(tmp_path_factory.mktemp("derived"))
    report = run_ingest(settings, embedder=HashEmbedder())
    assert not report.errors and report.chunks_total > 40
    return settings


def _service(settings) -> AssistantService:
    embedder = HashEmbedder()
    store = ChunkStore.open(settings, embedder.model_id, embedder.dim)
    return AssistantService(settings, embedder, store, NoopReranker())


def test_chunk_table_round_trip(tmp_path):
    table = ChunkTable.from_chunks(list(reversed(CHUNKS)))
    table.save(tmp_path)
    loaded = ChunkTable.load(tmp_path)
    ordered = sorted(CHUNKS, key=lambda c: (c.doc_id, c.position))
    assert list(loaded) == ordered  # sorted by document and position, every field back
    assert loaded.by_id["plan:0001"] == CHUNKS[1] and "nope" not in loaded.by_id
    assert loaded.document_count() == 2 and list(loaded.document_rows("plan")) == [1, 2]
    assert loaded[-1] == ordered[-1] and loaded[0:2] == ordered[0:2]
    assert ChunkTable.load(_empty(tmp_path / "empty")).document_count() == 0


def _empty(folder):
    ChunkTable.from_chunks([]).save(folder)
    return folder


def test_bm25_from_files_ranks_as_built(tmp_path):
    table = ChunkTable.from_chunks(CHUNKS)
    built = BM25Index(table)
    built.save(tmp_path)
    loaded = BM25Index.load(tmp_path, table)
    assert loaded.doc_freq == built.doc_freq and loaded.vocabulary == built.vocabulary
    counted: dict[str, int] = {}  # chunks per term, counted the plain way
    for c in table:
        for t in set(expanded_terms(c.index_text())):
            counted[t] = counted.get(t, 0) + 1
    assert built.doc_freq == counted
    for query in (["sip"], ["nätverk", "socialchef"], ["handlingsplan", "antog"]):
        assert loaded.search(query, 3) == built.search(query, 3)
    with pytest.raises(ValueError):
        BM25Index.load(tmp_path, table[:2])


def test_ingest_writes_a_version_and_the_service_starts_from_files(ingested, monkeypatch):
    stamp = read_stamp(derived_root(ingested))
    assert stamp is not None and stamp.documents == 5
    first = _service(ingested)  # builds BM25 and glossary once, next to the snapshot
    assert set(first.index.rebuilt) == {"bm25", "glossary"}

    def no_reading(*args, **kwargs):
        raise AssertionError("the service read the chunks from Chroma")

    monkeypatch.setattr(ChunkStore, "all_chunks", no_reading)
    second = _service(ingested)
    assert second.index.rebuilt == [] and second.index.version == stamp.version
    assert second.stats().chunks == stamp.chunks == first.stats().chunks
    assert second.glossary_terms() == first.glossary_terms()
    q = "Vem leder nätverket för socialchefer?"
    assert [h.chunk.chunk_id for h in second.search(q)] == [
        h.chunk.chunk_id for h in first.search(q)
    ]
    assert second.ask(q).answer == first.ask(q).answer


def test_a_changed_tokenizer_rebuilds_bm25_only(ingested, monkeypatch):
    _service(ingested)
    monkeypatch.setattr(derived, "bm25_fingerprint", lambda: "another tokenizer")
    assert _service(ingested).index.rebuilt == ["bm25"]
    assert _service(ingested).index.rebuilt == []


def test_unchanged_corpus_keeps_the_version_a_change_makes_a_new_one(ingested, corpus_copy):
    before = read_stamp(derived_root(ingested))
    assert run_ingest(ingested, embedder=HashEmbedder()).chunks_added == 0
    assert read_stamp(derived_root(ingested)) == before
    settings = ingested.model_copy(update={"corpus_dir": corpus_copy})
    (corpus_copy / "vilka-ar-med-i-omstallningen.txt").unlink()
    run_ingest(settings, embedder=HashEmbedder())
    after = read_stamp(derived_root(ingested))
    assert after.version != before.version and after.documents == 4
    assert not (derived_root(ingested) / before.version).exists()
    service = _service(settings)
    assert service.document("vilka-ar-med-i-omstallningen") is None
    assert len(service.documents()) == 4


def test_store_written_without_ingestion_gets_a_new_snapshot(tmp_path):
    settings = make_settings(tmp_path)
    embedder = HashEmbedder()
    store = ChunkStore.open(settings, embedder.model_id, embedder.dim)
    store.add(CHUNKS, embedder.embed_documents([c.index_text() for c in CHUNKS]))
    index = load_or_build(settings, store)
    assert index.rebuilt == ["chunks", "bm25", "glossary"] and len(index.chunks) == 3
    assert index.glossary == extract_terms(CHUNKS)
    retriever = HybridRetriever(store, embedder, index.chunks, bm25=index.bm25)
    assert [c.chunk_id for c in retriever.neighbours(CHUNKS[0])] == ["plan:0001"]


def test_service_facade_views(ingested):
    service = _service(ingested)
    docs = service.documents()
    assert [d.meta.title for d in docs] == sorted((d.meta.title for d in docs), key=str.lower)
    plan = service.document("handlingsplan-sammanhallen-vard-och-omsorg-2019-2022")
    assert [c.position for c in plan.chunks] == list(range(len(plan.chunks)))
    middle = service.chunk(plan.chunks[1].chunk_id)
    assert (middle.prev_chunk_id, middle.next_chunk_id) == (
        plan.chunks[0].chunk_id,
        plan.chunks[2].chunk_id,
    )
    assert service.chunk(plan.chunks[0].chunk_id).prev_chunk_id is None
    assert service.chunk("nope") is None and service.document("nope") is None
    terms = {t.term: t for t in service.glossary_terms()}
    assert terms["SIP"].explanation == "Samordnad individuell plan"


def test_with_settings_is_a_new_service_over_the_same_index(ingested):
    service = _service(ingested)
    dense_only = service.with_settings(bm25_weight=0.0, unit_weight=0.0)
    assert dense_only.index is service.index and dense_only.embedder is service.embedder
    assert service.settings.bm25_weight == 1.0 and dense_only.settings.bm25_weight == 0.0
    assert all(h.unit_rank is None for h in dense_only.search("SIP", k=5))
    assert any(h.unit_rank is not None for h in service.search("SIP", k=5))
    hits = dense_only.search("SIP samordnad individuell plan", k=5)
    assert all(h.bm25_rank is None or h.dense_rank is not None for h in hits)
    # dense alone ranks in the dense order, by the fitted fusion as by RRF
    assert [h.dense_rank for h in hits] == list(range(1, 6))
    by_rrf = dense_only.with_settings(fusion="rrf").search("SIP samordnad individuell plan", k=5)
    assert [h.chunk.chunk_id for h in by_rrf] == [h.chunk.chunk_id for h in hits]
    assert all(h.score == pytest.approx(1 / (60 + h.dense_rank)) for h in by_rrf)


def test_the_fitted_fusion_is_the_default_and_rrf_is_reciprocal_rank_fusion(ingested):
    """The service fuses by the fitted weights unless told `fusion="rrf"`; then a hit's score
    is the sum of its RRF terms over the three rankings, as before the fit existed."""
    from assistant.retrieval import RANKERS

    service = _service(ingested)
    by_rrf = service.with_settings(fusion="rrf")
    assert service.retriever.fusion is not None and by_rrf.retriever.fusion is None
    query = "Vem leder nätverket för socialchefer?"
    vector = service.embedder.embed_query(query)
    rankings = by_rrf.retriever.rankings(query, vector, by_rrf.search_depth)
    expected: dict[str, float] = {}
    for name in RANKERS:
        for rank, (chunk, _) in enumerate(rankings[name], start=1):
            expected[chunk.chunk_id] = expected.get(chunk.chunk_id, 0.0) + 1 / (60 + rank)
    hits = by_rrf.retriever.search(query, 10, vector)
    assert [h.score for h in hits] == pytest.approx(sorted(expected.values(), reverse=True)[:10])
    assert all(h.score == pytest.approx(expected[h.chunk.chunk_id]) for h in hits)


def test_without_a_fitted_fusion_the_service_fuses_by_rrf(tmp_path):
    import json

    from assistant.policy import FITTED, fusion_model

    data = json.loads(FITTED.read_text(encoding="utf-8"))
    data.pop("retrieval_fusion")
    path = tmp_path / "fitted.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert fusion_model(path) is None and fusion_model() is not None


def test_starters_come_from_the_manifest(tmp_path):
    from ingest.errors import IngestError
    from ingest.manifest import load_starters

    manifest = json.loads((CORPUS / "manifest.json").read_text("utf-8"))
    assert load_starters(CORPUS) == manifest["starters"] and len(manifest["starters"]) >= 5
    assert load_starters(tmp_path) == []  # no manifest, no starters
    (tmp_path / "manifest.json").write_text('{"documents": [], "starters": "fel"}', "utf-8")
    with pytest.raises(IngestError, match="starters"):
        load_starters(tmp_path)


def test_neighbours_are_the_chunks_beside_in_the_same_section(ingested):
    service = _service(ingested)
    embedder = HashEmbedder()
    store = ChunkStore.open(ingested, embedder.model_id, embedder.dim)
    retriever = HybridRetriever(store, embedder, service.index.chunks, bm25=service.index.bm25)
    pairs = 0
    for chunk in service.index.chunks:
        for nb in retriever.neighbours(chunk):
            assert nb.doc_id == chunk.doc_id and nb.heading_path == chunk.heading_path
            assert abs(nb.position - chunk.position) == 1
            pairs += 1
    assert pairs > 10


@pytest.mark.parametrize(
    "text",
    [
        "Samordnad individuell plan (SIP) och (se bilaga) samt Region Örebro län (RÖL).",
        "regionala utvecklingsstrategin, RUS, och medicinskt ansvariga, MAS, samt x, AB,",
        "(SIP) (A) ((MAS)) ord, ORD, ord ord, OK, " + "mycket långt ord " * 40 + "(LÅNG)",
        "",
    ],
)
def test_glossary_windows_find_what_a_whole_scan_finds(text):
    from assistant import glossary as g

    corpus = [p.read_text("utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    for t in [text, *corpus]:
        t = t.replace("\n", " ")
        for pattern, anchor, at in (
            (g._PAREN, g._PAREN_ANCHOR, lambda m: m.start(2) - 1),
            (g._COMMA, g._COMMA_ANCHOR, lambda m: m.end(1)),
        ):
            whole = [m.span() for m in pattern.finditer(t)]
            assert [m.span() for m in g._anchored(pattern, anchor, t, at)] == whole


def test_a_change_that_keeps_the_chunk_count_gets_a_new_snapshot(tmp_path):
    """Another writer (a replica's ingest over a shared Chroma server) switches a document
    without changing the number of chunks: the store's index counter tells the files stale."""
    settings = make_settings(tmp_path)
    embedder = HashEmbedder()
    store = ChunkStore.open(settings, embedder.model_id, embedder.dim)
    store.add(CHUNKS, embedder.embed_documents([c.index_text() for c in CHUNKS]))
    plan = store.start_versions()["plan"]
    first = load_or_build(settings, store)
    assert load_or_build(settings, store).rebuilt == []  # current: read from the files
    store.switch(replace(plan, meta=replace(plan.meta, title="Ny plan")))
    again = load_or_build(settings, store)
    assert again.rebuilt[0] == "chunks" and again.version != first.version
    assert len(again.chunks) == len(first.chunks)
    assert again.chunks.by_id["plan:0001"].meta.title == "Ny plan"
    assert read_stamp(derived_root(settings)).store_version == store.index_version()


def test_bm25_searches_a_word_no_chunk_has_by_its_synonyms(ingested):
    """No chunk has "spikades"; the thesaurus gives "fastställa", which the chunk on how the
    plan was adopted has ("Handlingsplanen har fastställts av …")."""
    retriever = _service(ingested).retriever
    query = "spikades handlingsplanen"
    (top, _), *_ = retriever.bm25_ranking(query, 3)
    assert "har fastställts av" in top.text
    (first, _), *_ = retriever.bm25.search(expanded_terms(query), 3)
    assert "har fastställts av" not in retriever.chunks[first].text  # its own words miss it
