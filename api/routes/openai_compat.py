"""OpenAI-compatible chat completions, so any OpenAI client or chat front-end can use
the assistant. The message is CommonMark: the answer, then a numbered "Källor" list of
absolute links; `citations` carries the same as a structured field."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.models import Answer
from assistant.service import AssistantService

from .. import openwebui_tasks
from ..deps import RateLimited, ServiceDep, SettingsDep
from ..openai_format import (
    MarkdownStream,
    approx_tokens,
    plain_history,
    refusal_body,
    sources_markdown,
)
from ..schemas import ChatCompletionRequest, TextPart

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "samverkansassistenten"
# Refusals list their closest sources as plain titles; OpenAI clients get links instead.
_PLAIN_SOURCES = "Närmast i källorna finns"


@router.get("/models")
def models() -> dict:
    return {
        "object": "list",
        "data": [
            {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "region-orebro-lan"}
        ],
    }


def _text(content: str | list[TextPart] | None) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return " ".join(p.text for p in content if p.type == "text" and p.text)
    return content or ""


def _conversation(body: ChatCompletionRequest) -> tuple[str, list[dict]]:
    turns = [
        {
            "role": m.role,
            "content": plain_history(_text(m.content))
            if m.role == "assistant"
            else _text(m.content),
        }
        for m in body.messages
        if m.role in ("user", "assistant")
    ]
    if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
        raise HTTPException(422, "Det sista meddelandet måste vara en fråga från användaren.")
    return turns[-1]["content"].strip(), turns[:-1]


def _base_url(request: Request, public_url: str) -> str:
    return (public_url or str(request.base_url)).rstrip("/")


def _web_urls(service: AssistantService, answer: Answer) -> dict[str, str]:
    """doc id -> the page's own web address, for the cited documents that have one."""
    urls = {}
    for c in answer.citations:
        view = service.chunk(c.chunk_id)
        url = view.chunk.meta.url if view else ""
        if url.startswith(("https://", "http://")):
            urls[c.doc_id] = url
    return urls


def _prompt_text(body: ChatCompletionRequest) -> str:
    return "\n".join(_text(m.content) for m in body.messages)


def _usage(prompt: str, completion: str) -> dict:
    p, c = approx_tokens(prompt), approx_tokens(completion)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def _message_markdown(answer: Answer, base_url: str, web_urls: dict[str, str]) -> str:
    body = refusal_body(answer) if answer.refused else answer.answer
    stream = MarkdownStream()
    text = (stream.feed(body) + stream.flush()).strip()
    sources = sources_markdown(answer, base_url, web_urls)
    return text + ("\n\n" + sources if sources else "")


def _completion(content: str, usage: dict, extra: dict | None = None) -> dict:
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
        "usage": usage,
    } | (extra or {})


@router.post("/chat/completions", dependencies=[RateLimited])
async def chat_completions(
    body: ChatCompletionRequest, request: Request, service: ServiceDep, settings: SettingsDep
):
    question, history = _conversation(body)
    task = openwebui_tasks.detect(question)  # a task prompt is long by design: check it first
    if task is not None:
        content = await run_in_threadpool(openwebui_tasks.answer, task, service)
        if body.stream:
            return StreamingResponse(
                _stream_text(content, _usage(_prompt_text(body), content), body),
                media_type="text/event-stream",
            )
        return _completion(content, _usage(_prompt_text(body), content))
    if len(question) > settings.max_question_chars:
        raise HTTPException(
            422, f"Frågan är för lång (högst {settings.max_question_chars} tecken)."
        )
    history = history[-settings.max_history_turns :]
    base_url = _base_url(request, settings.public_url)
    if body.stream:
        return StreamingResponse(
            _stream(service, question, history, base_url, body), media_type="text/event-stream"
        )
    answer = await run_in_threadpool(service.ask, question, history)
    content = _message_markdown(answer, base_url, _web_urls(service, answer))
    return _completion(
        content,
        _usage(_prompt_text(body), content),
        {
            "citations": answer.to_dict()["citations"],
            "refused": answer.refused,
            "mode": answer.mode,
        },
    )


def _chunk(cid: str, delta: dict, finish: str | None = None, extra: dict | None = None) -> str:
    data = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(data | (extra or {}), ensure_ascii=False)}\n\n"


def _usage_chunk(cid: str, body: ChatCompletionRequest, usage: dict) -> str:
    """OpenAI sends usage as a last chunk with no choices, when the client asks for it."""
    if not (body.stream_options or {}).get("include_usage"):
        return ""
    data = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [],
        "usage": usage,
    }
    return f"data: {json.dumps(data)}\n\n"


async def _stream_text(content: str, usage: dict, body: ChatCompletionRequest):
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    yield _chunk(cid, {"role": "assistant", "content": ""})
    yield _chunk(cid, {"content": content})
    yield _chunk(cid, {}, "stop")
    yield _usage_chunk(cid, body, usage)
    yield "data: [DONE]\n\n"


async def _stream(
    service: AssistantService,
    question: str,
    history: list[dict],
    base_url: str,
    body: ChatCompletionRequest,
) -> AsyncIterator[str]:
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    yield _chunk(cid, {"role": "assistant", "content": ""})
    markdown = MarkdownStream()
    sent, plain, held_back = "", "", False
    async for event in iterate_in_threadpool(service.stream(question, history)):
        if event["type"] in ("delta", "replace"):
            text = event["text"]
            if event["type"] == "replace":
                # OpenAI streams cannot retract text: say so plainly and give the checked answer.
                text = "\n(Svaret ersätts av ett kontrollerat svar:)\n" + text
            if held_back:
                continue
            plain += text
            if _PLAIN_SOURCES in plain:  # the refusal's title list: links follow instead
                text = text[: max(0, len(text) - (len(plain) - plain.index(_PLAIN_SOURCES)))]
                held_back = True
            piece = markdown.feed(text)
            if piece:
                sent += piece
                yield _chunk(cid, {"content": piece})
        elif event["type"] == "answer":
            answer = event["answer"]
            sources = sources_markdown(answer, base_url, _web_urls(service, answer))
            tail = markdown.flush()
            tail = tail.rstrip() + ("\n\n" + sources if sources else "")
            sent += tail
            yield _chunk(cid, {"content": tail})
            yield _chunk(
                cid,
                {},
                "stop",
                {"citations": answer.to_dict()["citations"], "refused": answer.refused},
            )
    yield _usage_chunk(cid, body, _usage(_prompt_text(body), sent))
    yield "data: [DONE]\n\n"
