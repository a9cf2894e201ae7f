"""Documents, chunks, the glossary and starter questions."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from assistant.compose import chunk_url, swedish_date

from ..deps import ServiceDep

router = APIRouter(prefix="/api", tags=["documents"])


def _doc_meta(chunk) -> dict:
    m = chunk.meta
    return {
        "doc_id": chunk.doc_id,
        "title": m.title,
        "publisher": m.publisher,
        "kind": m.kind,
        "date": m.date,
        "date_label": m.date_label or swedish_date(m.date),
        "valid_to": m.valid_to,
        "validity_label": m.validity_label,
        "original_form": m.original_form,
        "url": m.url,
        "file": m.file,
    }


@router.get("/documents")
def documents(service: ServiceDep) -> dict:
    docs: dict[str, dict] = {}
    for chunk in service.retriever.chunks:
        doc = docs.setdefault(chunk.doc_id, _doc_meta(chunk) | {"chunks": 0})
        doc["chunks"] += 1
    return {"documents": sorted(docs.values(), key=lambda d: d["title"].lower())}


@router.get("/documents/{doc_id}")
def document(doc_id: str, service: ServiceDep) -> dict:
    chunks = [c for c in service.retriever.chunks if c.doc_id == doc_id]
    if not chunks:
        raise HTTPException(404, "Dokumentet finns inte.")
    return _doc_meta(chunks[0]) | {
        "chunks": [
            {
                "chunk_id": c.chunk_id,
                "text": c.text,
                "page": c.page,
                "section": c.section or None,
                "position": c.position,
            }
            for c in sorted(chunks, key=lambda c: c.position)
        ]
    }


@router.get("/chunks/{chunk_id:path}")
def chunk(chunk_id: str, service: ServiceDep) -> dict:
    found = service.retriever.by_id.get(chunk_id)
    if found is None:
        raise HTTPException(404, "Textavsnittet finns inte.")
    siblings = sorted(
        (c for c in service.retriever.chunks if c.doc_id == found.doc_id), key=lambda c: c.position
    )
    i = siblings.index(found)
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
        "prev_chunk_id": siblings[i - 1].chunk_id if i > 0 else None,
        "next_chunk_id": siblings[i + 1].chunk_id if i + 1 < len(siblings) else None,
        "doc_url": f"/dokument/{found.doc_id}",
        "url": chunk_url(found),
    }


@router.get("/glossary")
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
            for t in service.glossary
        ]
    }


@router.get("/starters")
def starters(service: ServiceDep) -> dict:
    return {"questions": service.starter_questions()}
