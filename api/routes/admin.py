"""Re-ingestion over HTTP, behind a bearer token (disabled without one)."""

from __future__ import annotations

import hmac
import threading
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException

from ingest.pipeline import run_ingest

from ..deps import ServiceDep, SettingsDep

router = APIRouter(prefix="/api/admin", tags=["admin"])
_reindexing = threading.Lock()


@router.post("/reindex")
def reindex(
    service: ServiceDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> dict:
    if not settings.admin_token:
        raise HTTPException(404, "Administration är avstängd (ingen token är konfigurerad).")
    token = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        raise HTTPException(401, "Ogiltig eller saknad token.")
    if not _reindexing.acquire(blocking=False):
        raise HTTPException(409, "En omindexering pågår redan.")
    try:
        report = run_ingest(settings, embedder=service.embedder)
        service.reload()
    finally:
        _reindexing.release()
    return {
        "documents": report.documents,
        "chunks_added": report.chunks_added,
        "chunks_removed": report.chunks_removed,
        "chunks_kept": report.chunks_kept,
        "chunks_total": report.chunks_total,
        "errors": [{"file": f, "reason": r} for f, r in report.errors],
    }
