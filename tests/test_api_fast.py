"""The HTTP contract of every route, fast: the real app and routes against a deterministic
fake service (tests/fakes.py) put in through `app.dependency_overrides`, because the fast
tier loads no model. What is checked here is what the routes add — status codes, Swedish
errors, the response models and the OpenAPI schema they produce; test_api.py runs the same
routes against the real service and index (slow tier)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import get_service

from .conftest import make_settings
from .fakes import FakeService


@pytest.fixture
def fake() -> FakeService:
    return FakeService()


def _client(tmp_path, fake: FakeService | None, **settings) -> TestClient:
    app = create_app(make_settings(tmp_path, rate_limit_per_minute=0, **settings))
    if fake is not None:
        app.dependency_overrides[get_service] = lambda: fake
    app.state.service = fake  # /readyz reads the app's state (the index watch swaps it)
    return TestClient(app)  # no `with`: the lifespan (which loads the real service) never runs


@pytest.fixture
def api(tmp_path, fake) -> TestClient:
    return _client(tmp_path, fake, admin_token="hemligt")


def test_ask_follows_the_response_model(api):
    data = api.post("/api/ask", json={"question": "När antogs handlingsplanen?"}).json()
    assert data["refused"] is False and data["answer"].endswith("[1]")
    assert "diagnostics" not in data and data["notes"] == []
    cite = data["citations"][0]
    assert cite["chunk_id"] == "plan:0000" and cite["quote"] in data["answer"]
    assert cite["url"] == "/dokument/plan#plan:0000"
    assert set(data["sources"][0]) == {
        "chunk_id", "doc_id", "title", "page", "section", "date", "score", "text"
    }  # fmt: skip


def test_refusal_and_bad_questions(api):
    refused = api.post("/api/ask", json={"question": "Xyzzy qwerty?"}).json()
    assert refused["refused"] is True and refused["citations"] == []
    for body, status in (
        ({"question": ""}, 422),
        ({"question": "   "}, 422),
        ({"question": "x" * 1001}, 422),
        ({}, 422),
        ({"question": "q", "history": [{"role": "system", "content": "x"}]}, 422),
    ):
        r = api.post("/api/ask", json=body)
        assert r.status_code == status, body
        assert "rågan" in r.json()["detail"] or "Ogiltig" in r.json()["detail"]


def test_stream_sends_deltas_then_citations_then_done(api):
    with api.stream("POST", "/api/ask/stream", json={"question": "Vem leder nätverket?"}) as r:
        body = "".join(r.iter_text())
    events = [
        (b.split("\n")[0].removeprefix("event: "), json.loads(b.split("\n")[1][6:]))
        for b in body.strip().split("\n\n")
    ]
    assert [e for e, _ in events][-2:] == ["citations", "done"]
    assert "".join(d["text"] for e, d in events if e == "delta") == events[-2][1]["answer"]


def test_search_limits(api):
    results = api.get("/api/search", params={"q": "nätverket socialchefer", "k": 1}).json()
    assert [r["chunk_id"] for r in results["results"]] == ["natverk:0000"]
    assert api.get("/api/search", params={"q": "x", "k": 51}).status_code == 422
    assert api.get("/api/search", params={"q": ""}).status_code == 422


def test_documents_chunks_glossary_starters(api):
    docs = api.get("/api/documents").json()["documents"]
    assert [(d["doc_id"], d["chunks"]) for d in docs] == [("plan", 2), ("natverk", 1)]
    assert docs[0]["date_label"] == "4 december 2019"  # formatted when the manifest has none
    assert (docs[0]["expired"], docs[1]["expired"]) == (True, False)
    assert (docs[0]["original_url"], docs[1]["url"]) == (
        "/api/documents/plan/original",
        "https://example.se/n",
    )
    plan = api.get("/api/documents/plan").json()
    assert [c["position"] for c in plan["chunks"]] == [0, 1] and plan["kind"] == "handlingsplan"
    assert api.get("/api/documents/finns-inte").json() == {"detail": "Dokumentet finns inte."}
    first = api.get("/api/chunks/plan:0000").json()
    assert (first["prev_chunk_id"], first["next_chunk_id"]) == (None, "plan:0001")
    assert first["url"] == "/dokument/plan#plan:0000" and first["doc_url"] == "/dokument/plan"
    assert api.get("/api/chunks/natverk:0000").json()["prev_chunk_id"] is None
    assert api.get("/api/chunks/natverk:0000").json()["web_url"] == "https://example.se/n"
    assert api.get("/api/chunks/nope:1").status_code == 404
    terms = api.get("/api/glossary").json()["terms"]
    assert terms[0]["term"] == "SIP" and terms[0]["url"] == "/dokument/plan#plan:0001"
    assert api.get("/api/starters").json() == {"questions": ["När antogs handlingsplanen?"]}


def test_readiness_follows_the_service(tmp_path, fake):
    assert _client(tmp_path, None).get("/readyz").status_code == 503
    assert _client(tmp_path, None).post("/api/ask", json={"question": "q"}).status_code == 503
    ready = _client(tmp_path, fake).get("/readyz")
    assert ready.status_code == 200
    assert ready.json() | {"embedding_model": None} == {
        "status": "ready",
        "documents": 2,
        "chunks": 3,
        "embedding_model": None,
        "llm": "none",
        "index_version": None,  # no store watched: the fake has none
        "index_changed": False,
    }
    assert _client(tmp_path, FakeService(chunks=[])).get("/readyz").json()["status"] == "empty"


@pytest.mark.parametrize(
    ("token", "header", "status"),
    [(None, "Bearer x", 404), ("hemligt", None, 401), ("hemligt", "Bearer fel", 401)],
)
def test_admin_reindex_refusals(tmp_path, token, header, status):
    fake = FakeService()
    client = _client(tmp_path, fake, **({"admin_token": token} if token else {}))
    r = client.post("/api/admin/reindex", headers={"Authorization": header} if header else {})
    assert r.status_code == status and fake.reindexed == 0


def test_openapi_describes_what_the_routes_return(api):
    paths = api.get("/openapi.json").json()["paths"]
    expected = {
        ("/api/ask", "post"): "AskResponse",
        ("/api/search", "get"): "SearchResponse",
        ("/api/documents", "get"): "DocumentsResponse",
        ("/api/documents/{doc_id}", "get"): "DocumentDetailOut",
        ("/api/chunks/{chunk_id}", "get"): "ChunkOut",
        ("/api/glossary", "get"): "GlossaryResponse",
        ("/api/starters", "get"): "StartersResponse",
        ("/api/feedback", "post"): "FeedbackResponse",
        ("/api/admin/reindex", "post"): "IngestOut",
        ("/readyz", "get"): "ReadyResponse",
        ("/healthz", "get"): "HealthResponse",
    }
    for (path, method), model in expected.items():
        schema = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, path
