"""The OpenAI-compatible route as OpenAI clients and Open WebUI see it: CommonMark answers with a
numbered "Källor" list of absolute links, quotes cut at word boundaries, approximate `usage`,
and Open WebUI's auxiliary task prompts (title, tags, follow-ups) answered in their format.

The task prompts are Open WebUI's own templates (backend/open_webui/config.py), rendered the
way Open WebUI renders them (utils/task.py: the last messages as "ROLE: content" lines), and
sent in the request shape of routers/tasks.py (one user message, stream false,
max_completion_tokens; Open WebUI strips its `metadata` before calling an OpenAI connection)."""

from __future__ import annotations

import json
import re

import pytest
from markdown_it import MarkdownIt

from api.openai_format import (
    MarkdownStream,
    approx_tokens,
    clip_words,
    plain_history,
    to_markdown,
)
from api.openwebui_tasks import detect

PUBLIC = "https://samverkan.example.se"

# --- Open WebUI's templates, verbatim ------------------------------------------------------

TITLE_TEMPLATE = """### Task:
Generate a concise, 3-5 word title with an emoji summarizing the chat history.
### Guidelines:
- The title should clearly represent the main theme or subject of the conversation.
- Use emojis that enhance understanding of the topic, but avoid quotation marks or special formatting.
- Write the title in the chat's primary language; default to English if multilingual.
- Prioritize accuracy over excessive creativity; keep it clear and simple.
- Your entire response must consist solely of the JSON object, without any introductory or concluding text.
- The output must be a single, raw JSON object, without any markdown code fences or other encapsulating text.
- Ensure no conversational text, affirmations, or explanations precede or follow the raw JSON output, as this will cause direct parsing failure.
### Output:
JSON format: { "title": "your concise title here" }
### Examples:
- { "title": "📉 Stock Market Trends" },
- { "title": "🍪 Perfect Chocolate Chip Recipe" },
- { "title": "Evolution of Music Streaming" },
- { "title": "Remote Work Productivity Tips" },
- { "title": "Artificial Intelligence in Healthcare" },
- { "title": "🎮 Video Game Development Insights" }
### Chat History:
<chat_history>
{{MESSAGES:END:2}}
</chat_history>"""

TAGS_TEMPLATE = """### Task:
Generate 1-3 broad tags categorizing the main themes of the chat history, along with 1-3 more specific subtopic tags.

### Guidelines:
- Start with high-level domains (e.g. Science, Technology, Philosophy, Arts, Politics, Business, Health, Sports, Entertainment, Education)
- Consider including relevant subfields/subdomains if they are strongly represented throughout the conversation
- If content is too short (less than 3 messages) or too diverse, use only ["General"]
- Use the chat's primary language; default to English if multilingual
- Prioritize accuracy over specificity

### Output:
JSON format: { "tags": ["tag1", "tag2", "tag3"] }

### Chat History:
<chat_history>
{{MESSAGES:END:6}}
</chat_history>"""

FOLLOW_UP_TEMPLATE = """### Task:
Suggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next in this conversation as a **user**, based on the chat history, to help continue or deepen the discussion.
### Guidelines:
- Write all follow-up questions from the user's point of view, directed to the assistant.
- Make questions concise, clear, and directly related to the discussed topic(s).
- Only suggest follow-ups that make sense given the chat history and the assistant's last response.
- Match the conversational tone and style of the existing chat.
- Use the chat's primary language; default to English if multilingual.
- Avoid repeating questions already asked or answered in the chat history.
- If the conversation is concluded or no relevant follow-ups exist, return an empty list.
### Output:
JSON format: { "follow_ups": ["Question 1?", "Question 2?", "Question 3?"] }
### Chat History:
<chat_history>
{{MESSAGES:END:6}}
</chat_history>"""

CHAT = [
    {"role": "user", "content": "Vem leder nätverket för socialchefer?"},
    {"role": "assistant", "content": "Ingmar Ångman leder nätverket för socialchefer [1]."},
]


def render(template: str, messages: list[dict]) -> str:
    """Open WebUI's {{MESSAGES:END:n}}: the last n messages as "ROLE: content" lines."""

    def replace(match: re.Match) -> str:
        last = messages[-int(match.group(1)) :]
        return "\n".join(f"{m['role'].upper()}: {m['content']}" for m in last)

    return re.sub(r"\{\{MESSAGES:END:(\d+)\}\}", replace, template)


def task_request(template: str) -> dict:
    return {
        "model": "samverkansassistenten",
        "messages": [{"role": "user", "content": render(template, CHAT)}],
        "stream": False,
        "max_completion_tokens": 1000,
    }


# --- fast: formatting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("kort citat", 240, "kort citat"),
        ("Stärka det rehabiliterande arbetet", 20, "Stärka det…"),
        ("Stärka det rehabiliterande arbetet", 29, "Stärka det rehabiliterande…"),
        ("ord,   med\nradbrytning", 240, "ord, med radbrytning"),
        ("Ettmycketlångtordutanmellanslag", 10, "Ettmycketl…"),
    ],
)
def test_clip_words_cuts_at_word_boundaries(text, limit, expected):
    assert clip_words(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Svar [1].", "Svar [1]."),
        ("Två källor [1, 2].", "Två källor [1, 2]."),
        ("Stärka *vård* och _omsorg_", "Stärka \\*vård\\* och \\_omsorg\\_"),
        ("en [länk](x)", "en \\[länk\\](x)"),
        ("Lista:\n• ett [1]\n• två [1]", "Lista:\n\n- ett [1]\n- två [1]"),
        ("rad ett\nrad två", "rad ett\n\nrad två"),
        ("2019. Planen antogs", "2019\\. Planen antogs"),
        ("# inte en rubrik", "\\# inte en rubrik"),
        ("Stycke\n\nNästa", "Stycke\n\nNästa"),
    ],
)
def test_markdown_stream(text, expected):
    assert to_markdown(text) == expected
    # Fed one character at a time (the worst streaming case), the result is the same.
    stream = MarkdownStream()
    assert ("".join(stream.feed(ch) for ch in text) + stream.flush()).strip() == expected


def test_markdown_structure_in_a_strict_renderer():
    md = to_markdown("Det finns fem delmål [1]:\n• Stärka det hälsofrämjande\n• Stärka vården")
    tokens = MarkdownIt("commonmark").parse(md)
    kinds = [t.type for t in tokens]
    assert kinds.count("bullet_list_open") == 1
    assert kinds.count("list_item_open") == 2
    assert kinds.count("paragraph_open") == 3  # the lead and one per list item


def test_plain_history_drops_sources_and_escapes():
    sent = (
        to_markdown("Stärka *vård* [1].\n• ett") + "\n\n**Källor**\n\n1. [Titel](<https://x>): ”c”"
    )
    assert plain_history(sent) == "Stärka *vård* [1].\n\n- ett"


def test_approx_tokens():
    assert approx_tokens("") == 0
    assert approx_tokens("abcd") == 1
    assert approx_tokens("abcde") == 2


@pytest.mark.parametrize(
    ("template", "kind"),
    [(TITLE_TEMPLATE, "title"), (TAGS_TEMPLATE, "tags"), (FOLLOW_UP_TEMPLATE, "follow_ups")],
)
def test_detects_open_webui_task_prompts(template, kind):
    task = detect(render(template, CHAT))
    assert task is not None and task.kind == kind
    assert task.user_questions == ["Vem leder nätverket för socialchefer?"]


@pytest.mark.parametrize(
    "question",
    [
        "Vem leder nätverket för socialchefer?",
        'Vad betyder "title" i { "title": x }?',
        "### Task: skriv en titel",
    ],
)
def test_ordinary_questions_are_not_tasks(question):
    assert detect(question) is None


# --- slow: the route on the real index ------------------------------------------------------


@pytest.fixture(scope="module")
def oa(index_settings, service):
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings = index_settings.model_copy(update={"public_url": PUBLIC})
    with TestClient(create_app(settings, service)) as c:
        yield c


def links(markdown: str) -> list[tuple[str, str]]:
    """(text, href) of every link, as a strict CommonMark renderer sees them."""
    found = []
    for token in MarkdownIt("commonmark").parse(markdown):
        children = token.children or []
        for i, child in enumerate(children):
            if child.type == "link_open":
                found.append((children[i + 1].content, child.attrs["href"]))
    return found


def stream_events(response) -> list[dict]:
    events = []
    for line in response.text.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            events.append(json.loads(line[6:]))
    return events


@pytest.mark.slow
def test_answer_is_commonmark_with_numbered_absolute_sources(oa):
    r = oa.post(
        "/v1/chat/completions",
        json={"model": "samverkansassistenten", "messages": [CHAT[0]]},
    )
    assert r.status_code == 200, r.text
    data = r.json()
    content = data["choices"][0]["message"]["content"]
    citations = data["citations"]
    assert citations and "Ingmar Ångman" in content

    tokens = MarkdownIt("commonmark").parse(content)
    ordered = [t for t in tokens if t.type == "ordered_list_open"]
    assert len(ordered) == 1, content
    items = [t for t in tokens if t.type == "list_item_open"]
    assert len(items) >= len(citations)
    hrefs = [href for _, href in links(content)]
    assert hrefs and all(
        h.startswith(PUBLIC + "/dokument/") or h.startswith("https://") for h in hrefs
    )
    assert not any(h.startswith("/") for h in hrefs)
    # The cited page's real address is linked too (the manifest gives it).
    assert any(h.startswith("https://utveckling.regionorebrolan.se/") for h in hrefs)

    # Quotes in the list are cut at word boundaries: whole, or a word-prefix of the quote + "…".
    for c in citations:
        item = re.search(rf"^{c['id']}\. .*?”(.*?)”$", content, re.M)
        assert item, (c["id"], content)
        shown = item.group(1).replace("\\", "")
        quote = " ".join(c["quote"].lstrip("• ").split())
        if shown.endswith("…"):
            prefix = shown[:-1]
            assert quote.startswith(prefix) and quote[len(prefix)] == " ", (shown, quote)
        else:
            assert shown == quote

    usage = data["usage"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["completion_tokens"] == approx_tokens(content)


@pytest.mark.slow
def test_refusal_links_the_closest_sources(oa):
    r = oa.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "Hur många vårdplatser har USÖ?"}]},
    )
    data = r.json()
    assert data["refused"] is True
    content = data["choices"][0]["message"]["content"]
    assert "Närmast i källorna finns" not in content
    assert "Närmaste källor" in content
    found = links(content)
    assert found and all(href.startswith(PUBLIC + "/dokument/") for _, href in found)


def streamed_text(events: list[dict]) -> str:
    return "".join(
        e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices")
    )


@pytest.mark.slow
def test_open_webui_chat_stream_replayed(oa):
    """Open WebUI's chat requests to an OpenAI connection: its system prompt, the history with
    our own earlier Markdown answer sent back, stream with stream_options.include_usage (set by
    its middleware) and its own params passed through."""
    first_question = "Vad heter nätverket för psykisk hälsa och suicidprevention?"
    body = {
        "model": "samverkansassistenten",
        "messages": [
            {"role": "system", "content": "Svara på svenska."},
            {"role": "user", "content": first_question},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.8,
        "max_completion_tokens": 1000,
    }
    first = streamed_text(stream_events(oa.post("/v1/chat/completions", json=body)))
    assert "**Källor**" in first

    body["messages"] += [
        {"role": "assistant", "content": first},
        {"role": "user", "content": "Och vem leder det?"},
    ]
    r = oa.post("/v1/chat/completions", json=body)
    assert r.status_code == 200
    events = stream_events(r)
    text = streamed_text(events)
    assert "Johanna Bernström Högblom" in text
    assert links(text) and all(not h.startswith("/") for _, h in links(text))
    finish = [e for e in events if e.get("choices") and e["choices"][0]["finish_reason"]]
    assert finish and finish[-1]["choices"][0]["finish_reason"] == "stop"
    usage = events[-1]
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == approx_tokens(text)

    # The same answer without streaming has the same text.
    plain = oa.post("/v1/chat/completions", json=body | {"stream": False}).json()
    assert plain["choices"][0]["message"]["content"].strip() == text.strip()


@pytest.mark.slow
def test_open_webui_title_request(oa):
    r = oa.post("/v1/chat/completions", json=task_request(TITLE_TEMPLATE))
    content = r.json()["choices"][0]["message"]["content"]
    title = json.loads(content)["title"]
    assert title == "Vem leder nätverket för socialchefer"
    assert "[" not in content and "Källor" not in content


@pytest.mark.slow
def test_open_webui_tags_request(oa):
    r = oa.post("/v1/chat/completions", json=task_request(TAGS_TEMPLATE))
    tags = json.loads(r.json()["choices"][0]["message"]["content"])["tags"]
    assert 1 <= len(tags) <= 3 and all(isinstance(t, str) and t for t in tags)
    assert "Nätverk och samverkan" in tags


@pytest.mark.slow
def test_open_webui_follow_up_request(oa, service):
    r = oa.post("/v1/chat/completions", json=task_request(FOLLOW_UP_TEMPLATE))
    follow_ups = json.loads(r.json()["choices"][0]["message"]["content"])["follow_ups"]
    assert 1 <= len(follow_ups) <= 5
    assert CHAT[0]["content"] not in follow_ups
    # Only questions the corpus is known to answer.
    assert set(follow_ups) <= set(service.starters())


@pytest.mark.slow
def test_open_webui_title_request_streamed(oa):
    r = oa.post(
        "/v1/chat/completions",
        json=task_request(TITLE_TEMPLATE)
        | {"stream": True, "stream_options": {"include_usage": True}},
    )
    events = stream_events(r)
    text = streamed_text(events)
    assert json.loads(text)["title"].startswith("Vem leder")
    assert events[-1]["usage"]["total_tokens"] > 0
