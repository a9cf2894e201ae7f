"""FastAPI dependencies as Annotated aliases, used by every route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from assistant.feedback import FeedbackStore
from assistant.service import AssistantService
from ingest.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> AssistantService:
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise HTTPException(503, "Indexet är inte inläst ännu. Försök igen om en stund.")
    return service


def get_feedback(request: Request) -> FeedbackStore:
    return request.app.state.feedback


def rate_limited(request: Request) -> None:
    limiter = request.app.state.rate_limiter
    client = request.client.host if request.client else "unknown"
    if not limiter.allow(client):
        raise HTTPException(429, "För många frågor på kort tid. Vänta en stund och försök igen.")


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ServiceDep = Annotated[AssistantService, Depends(get_service)]
FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]
RateLimited = Depends(rate_limited)
