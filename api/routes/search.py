"""The hybrid ranking on its own, without an answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from assistant.models import source_dict
from assistant.service import QuestionError

from ..deps import RateLimited, ServiceDep
from ..schemas import SearchResponse

router = APIRouter(prefix="/api", tags=["search"], dependencies=[RateLimited])


@router.get("/search", response_model=SearchResponse)
def search(
    service: ServiceDep,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict:
    try:
        hits = service.search(q, k)
    except QuestionError as exc:
        raise HTTPException(422, "Sökfrågan är tom eller för lång.") from exc
    return {"query": q, "results": [source_dict(h) for h in hits]}
