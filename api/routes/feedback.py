"""Thumbs up/down on answers (a quota of their own, apart from questions)."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import FeedbackDep, FeedbackRateLimited
from ..schemas import FeedbackRequest, FeedbackResponse

router = APIRouter(prefix="/api", tags=["feedback"], dependencies=[FeedbackRateLimited])


@router.post("/feedback", response_model=FeedbackResponse)
def feedback(body: FeedbackRequest, store: FeedbackDep) -> FeedbackResponse:
    citations = [c.model_dump() for c in body.citations]
    feedback_id = store.add(
        body.question, body.answer, citations, body.rating, body.comment or None
    )
    return FeedbackResponse(ok=True, id=feedback_id)
