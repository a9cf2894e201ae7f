"""Administration behind a bearer token (disabled without one), with a rate limit of its own:
re-indexing, and documents as objects: list, add (a URL or an uploaded file), remove,
re-fetch. The errors are the CLI's: a stable `code`, the CLI's English `error`, a Swedish
`detail`."""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ingest import catalog
from ingest.errors import IngestError, IngestLockedError, MassDeleteError, SourceError
from ingest.pipeline import IngestReport, run_ingest
from ingest.sources import parse_sources

from ..deps import AdminRateLimited, IndexWatchDep, ServiceDep, SettingsDep
from ..schemas import (
    AddDocumentRequest,
    AdminDocumentOut,
    DocumentChangeResponse,
    DocumentListResponse,
    IngestOut,
    PageOut,
)

_reindexing = threading.Lock()

# HTTP status per SourceError code; anything else is 422.
_STATUS = {
    "unsupported_type": 415,
    "too_large": 413,
    "timeout": 504,
    "network": 502,
    "http_status": 502,
    "too_many_redirects": 502,
    "bad_sitemap": 502,
    "unknown_document": 404,
    "corpus_document": 409,
    "not_web": 409,
}


def bearer_token(authorization: str | None) -> str | None:
    """The token of an 'Authorization: Bearer <token>' header; None for any other form."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_admin(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    if not settings.admin_token:
        raise HTTPException(404, "Administration är avstängd (ingen token är konfigurerad).")
    token = bearer_token(authorization)
    if token is None or not hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        raise HTTPException(
            401, "Ogiltig eller saknad token.", headers={"WWW-Authenticate": "Bearer"}
        )


# The rate limit first: wrong tokens count too.
router = APIRouter(
    prefix="/api/admin", tags=["admin"], dependencies=[AdminRateLimited, Depends(require_admin)]
)


def _exclusive(work: Callable[[], Any]) -> Any:
    """One change of the index at a time in this process."""
    if not _reindexing.acquire(blocking=False):
        raise HTTPException(409, "En omindexering pågår redan.")
    try:
        return work()
    finally:
        _reindexing.release()


def _ingest(settings, service, watch, removing: tuple[str, ...] = ()) -> IngestReport:
    """Ingest in this process, then serve the new index (built beside the old one)."""
    try:
        with watch.paused():
            report = run_ingest(settings, embedder=service.embedder, removing=removing)
    except IngestLockedError as exc:
        raise HTTPException(409, "En indexering pågår redan. Försök igen senare.") from exc
    except MassDeleteError as exc:
        raise HTTPException(
            409,
            "Indexeringen skulle ta bort mer än halva indexet och avbröts. Kontrollera "
            "dokumentmappen (kör `samverkan ingest --allow-mass-delete` om det är avsiktligt).",
        ) from exc
    except SourceError:
        raise
    except IngestError as exc:
        raise HTTPException(409, f"Indexeringen avbröts: {exc}") from exc
    watch.check(force=True, in_process=True)
    return report


def _ingest_out(report: IngestReport) -> IngestOut:
    return IngestOut(
        documents=report.documents,
        chunks_added=report.chunks_added,
        chunks_removed=report.chunks_removed,
        chunks_kept=report.chunks_kept,
        chunks_total=report.chunks_total,
        errors=[{"file": f, "reason": r} for f, r in report.errors],
        warnings=[{"file": f, "reason": r} for f, r in report.warnings],
        flagged_passages=len(report.flagged),
    )


def source_error(exc: SourceError) -> JSONResponse:
    return JSONResponse(
        status_code=_STATUS.get(exc.code, 422),
        content={"detail": exc.swedish, "code": exc.code, "error": exc.message},
    )


def _page_out(outcome) -> PageOut:
    return PageOut(
        url=outcome.url,
        state=outcome.state,
        doc_id=outcome.doc_id,
        message=outcome.message,
        code=outcome.error.code if outcome.error else None,
    )


def _rows(settings, doc_ids: set[str] | None = None) -> list[AdminDocumentOut]:
    return [
        AdminDocumentOut(**asdict(r))
        for r in catalog.list_documents(settings)
        if doc_ids is None or r.doc_id in doc_ids
    ]


@router.post("/reindex", response_model=IngestOut)
def reindex(service: ServiceDep, settings: SettingsDep, watch: IndexWatchDep) -> IngestOut:
    return _ingest_out(_exclusive(lambda: _ingest(settings, service, watch)))


@router.get("/documents", response_model=DocumentListResponse)
def list_documents(settings: SettingsDep) -> DocumentListResponse:
    return DocumentListResponse(documents=_rows(settings))


@router.post("/documents", response_model=DocumentChangeResponse)
async def add_document(
    request: Request, service: ServiceDep, settings: SettingsDep, watch: IndexWatchDep
):
    """JSON `{"url": …}` (optionally `follow`, `sitemap`, `prefix`, `limit`, `id` and manifest
    fields), or a multipart form with `file` (and the same optional fields)."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str)}
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "Ogiltig förfrågan: 'file' saknas.")
        req = _validated(fields)
        name, data = upload.filename or "dokument", await upload.read()
        work = lambda: _add_file(settings, service, watch, name, data, req)  # noqa: E731
    else:
        try:
            body = await request.json()
        except ValueError as exc:
            raise HTTPException(422, "Ogiltig förfrågan: 'body' är inte giltig JSON.") from exc
        req = _validated(body)
        if not req.url:
            raise HTTPException(422, "Ogiltig förfrågan: 'url' saknas (eller skicka en fil).")
        work = lambda: _add_url(settings, service, watch, req)  # noqa: E731
    try:
        return await run_in_threadpool(_exclusive, work)
    except SourceError as exc:
        return source_error(exc)


def _validated(data: Any) -> AddDocumentRequest:
    try:
        return AddDocumentRequest.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc


def _add_url(settings, service, watch, req: AddDocumentRequest) -> DocumentChangeResponse:
    entry: dict[str, Any] = (
        {"sitemap": req.url} if req.sitemap else {"url": req.url, "follow": req.follow}
    )
    entry |= {k: v for k, v in req.model_dump().items() if v and k in _ENTRY_FIELDS}
    try:
        specs = parse_sources([entry], "request")
    except IngestError as exc:  # a wrong URL or combination of fields
        raise SourceError("invalid_source", str(exc), f"Ogiltig källa: {exc}") from exc
    outcomes = _single_failure(catalog.fetch_sources(settings, specs, prune=req.prune))
    report = _ingest(settings, service, watch)
    touched = {o.doc_id for o in outcomes if o.doc_id}
    return DocumentChangeResponse(
        pages=[_page_out(o) for o in outcomes],
        documents=_rows(settings, touched),
        ingest=_ingest_out(report),
    )


def _single_failure(outcomes: list) -> list:
    """One page asked for and it failed: that is the request's error, as in the CLI."""
    failed = [o for o in outcomes if o.state == "error"]
    if failed and len(failed) == len(outcomes) and failed[0].error:
        raise failed[0].error
    return outcomes


_ENTRY_FIELDS = {"prefix", "limit", "id", "title", "publisher", "kind", "date", "date_label"}


def _add_file(settings, service, watch, name: str, data: bytes, req) -> DocumentChangeResponse:
    fields = _ENTRY_FIELDS - {"prefix", "limit", "id"}
    overrides = {k: v for k, v in req.model_dump().items() if v and k in fields}
    record, changed = catalog.add_file(settings, name, data, req.id, overrides or None)
    report = _ingest(settings, service, watch)
    page = PageOut(url=name, state="new" if changed else "unchanged", doc_id=record.doc_id)
    return DocumentChangeResponse(
        pages=[page], documents=_rows(settings, {record.doc_id}), ingest=_ingest_out(report)
    )


@router.delete("/documents/{doc_id}", response_model=DocumentChangeResponse)
def remove_document(doc_id: str, service: ServiceDep, settings: SettingsDep, watch: IndexWatchDep):
    def work() -> DocumentChangeResponse:
        removed = catalog.remove_document(settings, doc_id)
        report = _ingest(settings, service, watch, removing=(removed.doc_id,))
        page = PageOut(url=removed.source, state="removed", doc_id=removed.doc_id)
        return DocumentChangeResponse(pages=[page], documents=[], ingest=_ingest_out(report))

    try:
        return _exclusive(work)
    except SourceError as exc:
        return source_error(exc)


@router.post("/documents/{doc_id}/refetch", response_model=DocumentChangeResponse)
def refetch_document(
    doc_id: str,
    service: ServiceDep,
    settings: SettingsDep,
    watch: IndexWatchDep,
    prune: bool = False,
):
    def work() -> DocumentChangeResponse:
        outcomes = _single_failure(catalog.refetch(settings, [doc_id], prune=prune))
        report = _ingest(settings, service, watch)
        return DocumentChangeResponse(
            pages=[_page_out(o) for o in outcomes],
            documents=_rows(settings, {doc_id}),
            ingest=_ingest_out(report),
        )

    try:
        return _exclusive(work)
    except SourceError as exc:
        return source_error(exc)
