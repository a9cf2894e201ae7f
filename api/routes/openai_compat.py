"""OpenAI-compatible chat completions, so any OpenAI client or chat front-end can use
the assistant. Citations come as a Swedish "Källor" list and as a structured field."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from assistant.models import Answer
from assistant.service import AssistantService

from ..deps import RateLimited, ServiceDep, SettingsDep
from ..schemas import ChatCompletionRequest

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "samverkansassistenten"


@router.get("/models")
def models() -> dict:
    return {
        "object": "list",
        "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "region-orebro-lan"}
        ],
    }


def _text(content) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content or ""


def _conversation(body: ChatCompletionRequest, max_chars: int) -> tuple[str, list[dict]]:
    turns = [
        {"role": m.role, "content": _text(m.content)}
        for m in body.messages
        if m.role in ("user", "assistant")
    ]
    if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
        raise HTTPException(422, "Det sista meddelandet måste vara en fråga från användaren.")
    question = turns[-1]["content"].strip()
    if len(question) > max_chars:
        raise HTTPException(422, f"Frågan är för lång (högst {max_chars} tecken).")
    return question, turns[:-1]


def sources_block(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = ["", "", "Källor:"]
    for c in answer.citations:
        where = f", s. {c.page}" if c.page else (f", {c.section}" if c.section else "")
        when = f" ({c.date_label})" if c.date_label else ""
        lines.append(f"[{c.id}] {c.title}{where}{when}: ”{c.quote[:240]}”")
    return "\n".join(lines)


def _citations(answer: Answer) -> list[dict]:
    return answer.to_dict()["citations"]


@router.post("/chat/completions", dependencies=[RateLimited])
def chat_completions(body: ChatCompletionRequest, service: ServiceDep, settings: SettingsDep):
    question, history = _conversation(body, settings.max_question_chars)
    history = history[-settings.max_history_turns :]
    if body.stream:
        return StreamingResponse(
            _stream(service, question, history), media_type="text/event-stream"
        )
    answer = service.ask(question, history)
    content = answer.answer + sources_block(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": _citations(answer),
        "refused": answer.refused,
        "mode": answer.mode,
    }


def _chunk(cid: str, delta: dict, finish: str | None = None, extra: dict | None = None) -> str:
    data = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(data | (extra or {}), ensure_ascii=False)}\n\n"


async def _stream(
    service: AssistantService, question: str, history: list[dict]
) -> AsyncIterator[str]:
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    yield _chunk(cid, {"role": "assistant", "content": ""})
    shown = ""
    async for event in iterate_in_threadpool(service.stream(question, history)):
        if event["type"] == "delta":
            shown += event["text"]
            yield _chunk(cid, {"content": event["text"]})
        elif event["type"] == "replace":
            # OpenAI streams cannot retract text: say so plainly and give the checked answer.
            text = "\n\n(Svaret ersätts av ett kontrollerat svar:)\n" + event["text"]
            shown += text
            yield _chunk(cid, {"content": text})
        elif event["type"] == "answer":
            answer = event["answer"]
            yield _chunk(cid, {"content": sources_block(answer)})
            yield _chunk(
                cid, {}, "stop", {"citations": _citations(answer), "refused": answer.refused}
            )
    yield "data: [DONE]\n\n"
