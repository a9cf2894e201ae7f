"""The web chat page (and the document view, which the same page renders)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.get("/dokument/{doc_id}")
def document_page(doc_id: str) -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")
