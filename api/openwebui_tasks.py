"""Open WebUI's auxiliary task prompts, answered in the format Open WebUI parses.

Besides the user's questions, Open WebUI sends the chat model "task" requests: a single user
message holding one of its prompt templates (backend/open_webui/config.py,
DEFAULT_TITLE_GENERATION_PROMPT_TEMPLATE, DEFAULT_TAGS_GENERATION_PROMPT_TEMPLATE,
DEFAULT_FOLLOW_UP_GENERATION_PROMPT_TEMPLATE, DEFAULT_QUERY_GENERATION_PROMPT_TEMPLATE) with
the chat so far rendered as "USER: …" / "ASSISTANT: …" lines inside <chat_history> tags, and
it expects a JSON object back ({"title": …}, {"tags": […]}, {"follow_ups": […]},
{"queries": […]}). Answered as a question, such a prompt would get a refusal or a stray
answer sentence as the chat's title; here it gets what Open WebUI asked for, built from the
conversation and the corpus, never invented."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

from assistant.service import AssistantService

TaskKind = Literal["title", "tags", "follow_ups", "queries"]

_HISTORY = re.compile(r"<chat_history>\s*(.*?)\s*</chat_history>", re.S)
_TURN = re.compile(r"^(USER|ASSISTANT|SYSTEM):[ \t]?", re.M)
# The JSON key each template asks for, as it appears in its "### Output:" section.
_OUTPUT_KEYS: dict[TaskKind, re.Pattern[str]] = {
    "title": re.compile(r'\{\s*"title"\s*:'),
    "tags": re.compile(r'\{\s*"tags"\s*:'),
    "follow_ups": re.compile(r'\{\s*"follow_ups"\s*:'),
    "queries": re.compile(r'\{\s*"queries"\s*:'),
}
_WORD = re.compile(r"\w+")
TITLE_WORDS = 6


@dataclass
class TaskRequest:
    kind: TaskKind
    turns: list[tuple[str, str]] = field(default_factory=list)  # (role, text), oldest first

    @property
    def user_questions(self) -> list[str]:
        return [text for role, text in self.turns if role == "USER" and text]


def detect(message: str) -> TaskRequest | None:
    """A task request if `message` is one of Open WebUI's task prompts, else None."""
    if "### Task:" not in message or "<chat_history>" not in message:
        return None
    output = message.split("### Output:", 1)[-1]
    for kind, pattern in _OUTPUT_KEYS.items():
        if pattern.search(output):
            history = _HISTORY.search(message)
            return TaskRequest(kind, _turns(history.group(1) if history else ""))
    return None


def _turns(history: str) -> list[tuple[str, str]]:
    parts = _TURN.split(history)
    # split() with one group gives ["", ROLE, text, ROLE, text, ...]
    return [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def answer(task: TaskRequest, service: AssistantService) -> str:
    """The JSON text Open WebUI expects for the task."""
    match task.kind:
        case "title":
            return json.dumps({"title": title(task)}, ensure_ascii=False)
        case "tags":
            return json.dumps({"tags": tags(task, service)}, ensure_ascii=False)
        case "follow_ups":
            return json.dumps({"follow_ups": follow_ups(task, service)}, ensure_ascii=False)
        case "queries":
            # The assistant searches its own sources; Open WebUI need not search for it.
            return json.dumps({"queries": []}, ensure_ascii=False)


def title(task: TaskRequest) -> str:
    """The first question itself, shortened: a faithful title in the chat's language."""
    questions = task.user_questions
    if not questions:
        return "Samverkansassistenten"
    words = questions[0].split()
    text = " ".join(words[:TITLE_WORDS]).rstrip("?!.,:;")
    return text[:1].upper() + text[1:] + ("…" if len(words) > TITLE_WORDS else "")


def tags(task: TaskRequest, service: AssistantService) -> list[str]:
    """A broad tag, then the titles of the documents the conversation is about."""
    found = ["Samverkan"]
    for question in task.user_questions[-2:]:
        try:
            hits = service.search(question, k=3)
        except ValueError:
            continue
        for hit in hits[:1]:
            if hit.chunk.meta.title not in found:
                found.append(hit.chunk.meta.title)
    return found[:3]


def follow_ups(task: TaskRequest, service: AssistantService, n: int = 3) -> list[str]:
    """Questions the corpus is known to answer (the starter questions), the ones closest to
    the conversation first, leaving out what was already asked."""
    asked = {q.strip().lower() for q in task.user_questions}
    talk = set(_WORD.findall(" ".join(text for _, text in task.turns).lower()))
    candidates = [q for q in service.starters() if q.lower() not in asked]
    ranked = sorted(candidates, key=lambda q: -len(talk & set(_WORD.findall(q.lower()))))
    return ranked[:n]
