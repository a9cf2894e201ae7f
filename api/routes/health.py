"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse)
def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    responses={503: {"model": ReadyResponse, "description": "starting, or the index is empty"}},
)
def readyz(request: Request) -> JSONResponse:
    service = getattr(request.app.state, "service", None)
    if service is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    watch = request.app.state.index_watch
    watch.check()  # picks up a finished ingest
    service = request.app.state.service
    stats = service.stats()
    body = {
        "status": "ready" if stats.chunks else "empty",
        "documents": stats.documents,
        "chunks": stats.chunks,
        "embedding_model": stats.embedding_model,
        "llm": service.settings.llm if service.llm else "none",
        "index_version": watch.loaded,
        "index_changed": watch.changed,  # the store holds a newer index than the one served
    }
    return JSONResponse(body, status_code=200 if stats.chunks else 503)
