"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class AskRequest(BaseModel):
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)


class CitationOut(BaseModel):
    id: int
    doc_id: str
    title: str
    page: int | None
    section: str | None
    date: str | None
    date_label: str | None = None
    quote: str
    chunk_id: str
    url: str


class SourceOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    page: int | None
    section: str | None
    date: str | None = None
    score: float
    text: str


class AskResponse(BaseModel):
    question: str
    answer: str
    refused: bool
    # "partial": no passage clearly answers; the closest are quoted after a Swedish hedge
    mode: Literal["extractive", "partial", "llm"]
    confidence: float | None = None  # the answer policy's probability that the sources answer
    citations: list[CitationOut]
    sources: list[SourceOut]
    resolved_question: str | None = None


class SearchResponse(BaseModel):
    query: str
    results: list[SourceOut]


class FeedbackRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4000)
    answer: str = Field(max_length=20000)
    citations: list[dict] = Field(default_factory=list, max_length=50)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=2000)


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list | None = None


class ChatCompletionRequest(BaseModel):
    model: str = "samverkansassistenten"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None
    stream_options: dict | None = None  # {"include_usage": true}: a last chunk with usage
