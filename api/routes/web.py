"""The web chat page (and the document view, which the same page renders)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
# PDF.js ships as ES modules (.mjs); browsers refuse modules and module workers served
# without a JavaScript type, and Python < 3.12 does not know the extension.
mimetypes.add_type("text/javascript", ".mjs")

router = APIRouter(include_in_schema=False)


def _page(status_code: int = 200) -> FileResponse:
    return FileResponse(
        STATIC / "index.html", media_type="text/html; charset=utf-8", status_code=status_code
    )


@router.get("/")
def index() -> FileResponse:
    return _page()


@router.get("/dokument")
@router.get("/dokument/")
def document_list() -> FileResponse:
    """The list of documents the assistant answers from (the page renders it)."""
    return _page()


@router.get("/dokument/{doc_id}")
def document_page(doc_id: str, request: Request) -> FileResponse:
    # An unknown document still gets the page (which says so in Swedish), with status 404.
    service = getattr(request.app.state, "service", None)
    known = service is None or service.document(doc_id) is not None
    return _page(200 if known else 404)
