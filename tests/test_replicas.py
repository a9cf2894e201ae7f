"""Replicas: two `samverkan serve` processes over one real `chroma run` server, each with its
own data folder (so its own derived files), as replicas on two machines would run. A document
added through one replica's admin API is answered by the other without a restart, and so is
a change to it that keeps the number of chunks (the store's index counter tells it apart)."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from bench.common import ServerProcess, server_env, venv_bin

pytestmark = pytest.mark.slow

CORPUS = {
    "rutiner.txt": "# Rutiner\n\nRutinen för utskrivning från sjukhus gäller från januari 2023.\n",
    "plan.md": "# Plan för samverkan\n\nPlanen antogs den 3 mars 2021 av nämnden.\n",
}
NEW_DOC = "# Läkemedel\n\nLäkemedelsgenomgångar görs av farmaceuter i hela länet från {year}.\n"
QUESTION = "Vem gör läkemedelsgenomgångar?"
TOKEN = "s3cret"


def _answered_from(base: str) -> str:
    """The document of the passage an answer rests on (its first source; whether it is
    quoted or only shown as the closest passage is the answer policy's business)."""
    r = httpx.post(f"{base}/api/ask", json={"question": QUESTION}, timeout=60)
    r.raise_for_status()
    return r.json()["sources"][0]["doc_id"]


def _texts(base: str) -> str:
    r = httpx.get(f"{base}/api/search", params={"q": QUESTION}, timeout=60)
    return "\n".join(hit["text"] for hit in r.json()["results"])


def _upload(base: str, year: int) -> str:
    r = httpx.post(
        f"{base}/api/admin/documents",
        files={"file": ("lakemedel.md", NEW_DOC.format(year=year).encode())},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    return r.json()["pages"][0]["doc_id"]


def _eventually(check, timeout: float = 30.0):
    end = time.monotonic() + timeout
    while not (value := check()) and time.monotonic() < end:
        time.sleep(0.2)
    return value


def test_a_document_added_through_one_replica_is_served_by_the_other(chroma_server, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    shared = {
        "corpus_dir": corpus,
        "chroma_host": "127.0.0.1",
        "chroma_port": chroma_server,
        "collection": "replicas",
        "admin_token": TOKEN,
        "index_check_seconds": 0.5,
    }
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    ingest = subprocess.run(
        [str(venv_bin("samverkan")), "ingest"],
        env=server_env(tmp_path / "a", **shared),
        cwd=tmp_path / "a",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ingest.returncode == 0, ingest.stderr
    a, b = ServerProcess(tmp_path / "a", **shared), ServerProcess(tmp_path / "b", **shared)
    try:
        a.wait_ready(), b.wait_ready()
        before = httpx.get(f"{b.base}/readyz", timeout=10).json()
        assert before["chunks"] == 2 and "Läkemedel" not in _texts(b.base)
        assert _answered_from(b.base) != "lakemedel"

        doc_id = _upload(a.base, 2025)
        assert doc_id == "lakemedel"
        assert _eventually(lambda: _answered_from(b.base) == doc_id), b.tail()
        after = httpx.get(f"{b.base}/readyz", timeout=10).json()
        assert after["chunks"] == 3 and after["index_version"] != before["index_version"]

        _upload(a.base, 2026)  # the same document, edited: still one chunk
        assert _eventually(lambda: "från 2026" in _texts(b.base)), b.tail()
        assert "från 2025" not in _texts(b.base)
        assert httpx.get(f"{b.base}/readyz", timeout=10).json()["chunks"] == 3
        assert b.proc.poll() is None  # the same process throughout: no restart
    finally:
        a.stop()
        b.stop()
