"""FastAPI dependencies as Annotated aliases, used by every route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from assistant.feedback import FeedbackStore
from assistant.service import AssistantService
from ingest.settings import Settings

from .index_watch import IndexWatch


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> AssistantService:
    request.app.state.index_watch.check()  # a finished ingest is picked up here
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise HTTPException(503, "Indexet är inte inläst ännu. Försök igen om en stund.")
    return service


def get_feedback(request: Request) -> FeedbackStore:
    return request.app.state.feedback


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else None
    return request.app.state.client_address(peer, request.headers.get("x-forwarded-for"))


def _limit(quota: str, message: str):
    """A dependency that counts the request against one quota (ask, feedback, admin)."""

    def check(request: Request) -> None:
        limiter = request.app.state.rate_limiters[quota]
        wait = limiter.retry_after(client_address(request))
        if wait is not None:
            raise HTTPException(429, message, headers={"Retry-After": str(wait)})

    return check


def get_index_watch(request: Request) -> IndexWatch:
    return request.app.state.index_watch


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ServiceDep = Annotated[AssistantService, Depends(get_service)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
IndexWatchDep = Annotated[IndexWatch, Depends(get_index_watch)]
RateLimited = Depends(
    _limit("ask", "För många frågor på kort tid. Vänta en stund och försök igen.")
)
FeedbackRateLimited = Depends(
    _limit("feedback", "För många återkopplingar på kort tid. Vänta en stund och försök igen.")
)
AdminRateLimited = Depends(
    _limit("admin", "För många administrativa anrop på kort tid. Vänta en stund.")
)
