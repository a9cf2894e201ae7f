"""Questions and answers: JSON and Server-Sent Events."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from assistant.models import Answer
from assistant.service import AssistantService, QuestionError
from ingest.settings import Settings

from ..deps import RateLimited, ServiceDep, SettingsDep
from ..schemas import AskRequest, AskResponse

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["ask"], dependencies=[RateLimited])


def checked(body: AskRequest, settings: Settings) -> tuple[str, list[dict]]:
    question = body.question.strip()
    if not question:
        raise HTTPException(422, "Frågan är tom. Skriv en fråga.")
    if len(question) > settings.max_question_chars:
        raise HTTPException(
            422, f"Frågan är för lång (högst {settings.max_question_chars} tecken)."
        )
    if len(body.history) > settings.max_history_turns:
        raise HTTPException(
            422, f"Samtalshistoriken är för lång (högst {settings.max_history_turns} inlägg)."
        )
    return question, [t.model_dump() for t in body.history]


def answer_payload(answer: Answer) -> dict:
    data = answer.to_dict()
    data.pop("diagnostics", None)
    return data


@router.post("/ask", response_model=AskResponse)
def ask(body: AskRequest, service: ServiceDep, settings: SettingsDep) -> dict:
    question, history = checked(body, settings)
    try:
        return answer_payload(service.ask(question, history))
    except QuestionError as exc:
        raise HTTPException(422, "Frågan kunde inte tolkas.") from exc


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def answer_events(
    service: AssistantService, question: str, history: list[dict]
) -> AsyncIterator[str]:
    try:
        async for event in iterate_in_threadpool(service.stream(question, history)):
            if event["type"] in ("delta", "replace"):
                yield sse(event["type"], {"text": event["text"]})
            elif event["type"] == "answer":
                payload = answer_payload(event["answer"])
                yield sse(
                    "citations",
                    {
                        k: payload[k]
                        for k in (
                            "answer",
                            "citations",
                            "sources",
                            "refused",
                            "mode",
                            "confidence",
                            "resolved_question",
                        )
                    },
                )
    except Exception:  # the client gets a Swedish message, the log the details
        log.exception("streaming answer failed")
        yield sse("error", {"message": "Något gick fel när svaret skapades. Försök igen."})
    yield sse("done", {})


@router.post("/ask/stream")
def ask_stream(body: AskRequest, service: ServiceDep, settings: SettingsDep) -> StreamingResponse:
    question, history = checked(body, settings)
    return StreamingResponse(
        answer_events(service, question, history),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
