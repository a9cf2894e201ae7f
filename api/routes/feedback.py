"""Thumbs up/down on answers."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import FeedbackDep, RateLimited
from ..schemas import FeedbackRequest

router = APIRouter(prefix="/api", tags=["feedback"], dependencies=[RateLimited])


@router.post("/feedback")
def feedback(body: FeedbackRequest, store: FeedbackDep) -> dict:
    feedback_id = store.add(
        body.question, body.answer, body.citations, body.rating, body.comment or None
    )
    return {"ok": True, "id": feedback_id}
