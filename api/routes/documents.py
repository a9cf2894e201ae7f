"""Documents, chunks, the original files, the glossary and starter questions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from assistant.compose import chunk_url, swedish_date
from ingest.models import Chunk, DocumentMeta

from ..deps import ServiceDep, SettingsDep
from ..schemas import (
    ChunkOut,
    DocumentDetailOut,
    DocumentsResponse,
    GlossaryResponse,
    StartersResponse,
)

router = APIRouter(prefix="/api", tags=["documents"])

NO_DOCUMENT = "Dokumentet finns inte."
# Original files the browser may open itself; anything else is only available as extracted text.
ORIGINAL_TYPES = {".pdf": "application/pdf"}


def original_url(meta: DocumentMeta) -> str | None:
    """The app's address of the original file (PDFs), for the viewer and for a new tab."""
    if Path(meta.file).suffix.lower() in ORIGINAL_TYPES:
        return f"/api/documents/{meta.doc_id}/original"
    return None


def web_url(meta: DocumentMeta) -> str | None:
    """The page's own address on the web, when the manifest gives one."""
    url = meta.url or ""
    return url if url.startswith(("https://", "http://")) else None


def _expired(valid_to: str | None, today: date) -> bool:
    try:
        return bool(valid_to) and date.fromisoformat(valid_to) < today
    except ValueError:
        return False


def _doc_meta(m: DocumentMeta, today: date) -> dict:
    return {
        "doc_id": m.doc_id,
        "title": m.title,
        "publisher": m.publisher,
        "kind": m.kind,
        "date": m.date,
        "date_label": m.date_label or swedish_date(m.date),
        "valid_to": m.valid_to,
        "validity_label": m.validity_label,
        "expired": _expired(m.valid_to, today),
        "original_form": m.original_form,
        "url": web_url(m),
        "original_url": original_url(m),
        "file": m.file,
    }


def _doc_chunks(service, doc_id: str) -> list[Chunk]:
    doc = service.document(doc_id)
    if doc is None:
        raise HTTPException(404, NO_DOCUMENT)
    return doc.chunks


@router.get("/documents", response_model=DocumentsResponse)
def documents(service: ServiceDep) -> dict:
    return {
        "documents": [
            _doc_meta(d.meta, service.today) | {"chunks": d.chunks} for d in service.documents()
        ]
    }


@router.get("/documents/{doc_id}", response_model=DocumentDetailOut)
def document(doc_id: str, service: ServiceDep) -> dict:
    chunks = _doc_chunks(service, doc_id)
    return _doc_meta(chunks[0].meta, service.today) | {
        "chunks": [
            {
                "chunk_id": c.chunk_id,
                "text": c.text,
                "page": c.page,
                "section": c.section or None,
                "position": c.position,
            }
            for c in chunks
        ]
    }


@router.get("/documents/{doc_id}/original", response_class=FileResponse)
def original(doc_id: str, service: ServiceDep, settings: SettingsDep) -> FileResponse:
    """The original file as ingested (PDFs only), opened inline by the viewer or the browser."""
    meta = _doc_chunks(service, doc_id)[0].meta
    root = settings.corpus_dir.resolve()
    path = (root / meta.file).resolve()
    media_type = ORIGINAL_TYPES.get(path.suffix.lower())
    if media_type is None or not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(404, "Originalfilen finns inte för det här dokumentet.")
    return FileResponse(
        path,
        media_type=media_type,
        filename=path.name,
        content_disposition_type="inline",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/chunks/{chunk_id:path}", response_model=ChunkOut)
def chunk(chunk_id: str, service: ServiceDep) -> dict:
    view = service.chunk(chunk_id)
    if view is None:
        raise HTTPException(404, "Textavsnittet finns inte.")
    found = view.chunk
    return {
        "chunk_id": found.chunk_id,
        "doc_id": found.doc_id,
        "title": found.meta.title,
        "page": found.page,
        "section": found.section or None,
        "date": found.meta.date,
        "date_label": found.meta.date_label or swedish_date(found.meta.date),
        "text": found.text,
        "position": found.position,
        "prev_chunk_id": view.prev_chunk_id,
        "next_chunk_id": view.next_chunk_id,
        "doc_url": f"/dokument/{found.doc_id}",
        "url": chunk_url(found),
        "web_url": web_url(found.meta),
        "original_url": original_url(found.meta),
    }


@router.get("/glossary", response_model=GlossaryResponse)
def glossary(service: ServiceDep) -> dict:
    return {
        "terms": [
            {
                "term": t.term,
                "explanation": t.explanation,
                "chunk_id": t.chunk_id,
                "doc_id": t.doc_id,
                "title": t.title,
                "url": f"/dokument/{t.doc_id}#{t.chunk_id}",
            }
            for t in service.glossary_terms()
        ]
    }


@router.get("/starters", response_model=StartersResponse)
def starters(service: ServiceDep) -> dict:
    return {"questions": service.starters()}
