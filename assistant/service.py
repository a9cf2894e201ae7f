"""The assistant as one service object: `search`, `ask` and `stream`."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from ingest.embeddings import Embedder, build_embedder
from ingest.settings import Settings
from ingest.store import ChunkStore

from .compose import currency_notes, refusal
from .extractive import Assessment, ExtractiveAnswerer
from .followup import carry_over, needs_context
from .glossary import Term, extract_terms
from .llm import LLMAnswerer, build_chat_model
from .models import Answer, Hit
from .policy import AnswerPolicy, ranking_model
from .query import QueryExpander, for_encoder, normalise
from .rerank import Reranker, build_reranker
from .retrieval import HybridRetriever
from .scoring import UnitScorer, UnitVectors, Vocabulary
from .units import strip_instructions

log = logging.getLogger(__name__)


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, too long)."""


@dataclass
class IndexStats:
    documents: int
    chunks: int
    embedding_model: str


class AssistantService:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChunkStore,
        reranker: Reranker,
        llm: LLMAnswerer | None = None,
        today: date | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.reranker = reranker
        self.llm = llm
        self._today = today
        self.retriever = HybridRetriever(
            store,
            embedder,
            bm25_weight=settings.bm25_weight,
            dense_weight=settings.dense_weight,
            rrf_k=settings.rrf_k,
            candidates=settings.candidates,
        )
        self._rebuild_derived()

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder | None = None
    ) -> AssistantService:
        embedder = embedder or build_embedder(settings)
        store = ChunkStore.open(settings, embedder.model_id, embedder.dim)
        reranker = build_reranker(settings.reranker, settings.reranker_model)
        llm = None
        if settings.llm != "none":
            llm = LLMAnswerer(build_chat_model(settings), settings.support_threshold)
        return cls(settings, embedder, store, reranker, llm)

    def _rebuild_derived(self) -> None:
        chunks = self.retriever.chunks
        self.glossary: list[Term] = extract_terms(chunks)
        self._starters: list[str] | None = None
        self.expander = QueryExpander(self.glossary, self.retriever.bm25.vocabulary)
        self.unit_vectors = UnitVectors(self.store.unit_vectors, self.embedder.embed_documents)
        self.policy = AnswerPolicy.fitted()
        self.extractive = ExtractiveAnswerer(
            Vocabulary(self.retriever.bm25.doc_freq, len(chunks)),
            UnitScorer(self.retriever.neighbours, self.unit_vectors),
            self.policy,
            ranking_model(),
        )

    def reload(self) -> None:
        """Re-read the index after ingestion."""
        self.retriever.reload()
        self._rebuild_derived()

    @property
    def today(self) -> date:
        return self._today or date.today()

    STARTER_CANDIDATES = (
        "Vilka är med i omställningen till nära vård?",
        "Vilka fem delmål har handlingsplanen för sammanhållen vård och omsorg?",
        "Vem leder nätverket för socialchefer?",
        "Vad är syftet med överenskommelserna om god, jämlik och jämställd hälsa?",
        "När antogs målbilden för nära vård?",
        "Vad handlade projektet Cross om?",
    )

    def starter_questions(self, limit: int = 5) -> list[str]:
        """Starter questions for newcomers: candidates the corpus really answers, plus one
        per defined term; checked once against the index and cached."""
        if self._starters is None:
            candidates = list(self.STARTER_CANDIDATES)
            candidates += [f"Vad betyder {t.term}?" for t in self.glossary[:3]]
            self._starters = [q for q in candidates if not self.ask(q).refused][:limit]
        return self._starters

    def stats(self) -> IndexStats:
        chunks = self.retriever.chunks
        return IndexStats(len({c.doc_id for c in chunks}), len(chunks), self.embedder.model_id)

    # --- search ----------------------------------------------------------------

    def search(self, query: str, k: int = 10) -> list[Hit]:
        query = self._check(query)
        return self._retrieve(self.expander.expand(query), k)[0]

    def _retrieve(self, query: str, k: int) -> tuple[list[Hit], list[float]]:
        vector = self.embedder.embed_query(for_encoder(query, self.embedder.token_count))
        hits = self.retriever.search(query, max(k, 10), vector=vector)
        return self.reranker.rerank(query, hits)[:k], vector

    def _check(self, text: str) -> str:
        text = normalise(text or "")
        if not text:
            raise QuestionError("empty question")
        if len(text) > self.settings.max_question_chars:
            raise QuestionError(
                f"question longer than {self.settings.max_question_chars} characters"
            )
        return text

    # --- answers -----------------------------------------------------------------

    def resolve(self, question: str, history: list[dict] | None) -> str:
        if not history or not needs_context(question):
            return question
        if self.llm is not None:
            rewritten = self.llm.rewrite(question, history)
            if rewritten:
                return rewritten
        return carry_over(question, history)

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        answer = None
        for event in self.stream(question, history):
            if event["type"] == "answer":
                answer = event["answer"]
        assert answer is not None
        return answer

    def stream(self, question: str, history: list[dict] | None = None) -> Iterator[dict]:
        """Events: {"type": "delta", "text"} pieces of verified text, {"type": "replace",
        "text"} when the shown text must be replaced (fallback), and finally
        {"type": "answer", "answer": Answer}."""
        started = time.perf_counter()
        asked = self._check(question)
        question, instructed = strip_instructions(asked)
        if not question:
            answer = refusal(asked, [], "only instructions, no question", instructions=True)
            yield {"type": "delta", "text": answer.answer}
            yield {"type": "answer", "answer": answer}
            return
        resolved = self.resolve(question, history)
        query = self.expander.expand(resolved)
        hits, vector = self._retrieve(query, 8)
        assessment = self.extractive.assess(question, query, hits, vector)
        extractive = self._extractive_answer(question, assessment, hits)
        if instructed:
            extractive.notes.append("instructions in the question were ignored")
        if self.llm is not None and not self._worth_generating(hits):
            extractive = refusal(question, hits, "below the retrieval floor", english=False)
        if self.llm is None or extractive.refused:
            answer = extractive
            for piece in _pieces(answer.answer):
                yield {"type": "delta", "text": piece}
        else:
            # The extractive policy does not veto a generated answer: the retrieval floor,
            # the model's own "Det framgår inte" and the checker decide (llm.py, verify.py).
            answer = yield from self._stream_llm(question, resolved, hits, extractive)
        answer.question = asked
        answer.resolved_question = resolved if resolved != asked else None
        log.info(
            "answered in %.0f ms (mode=%s refused=%s)",
            (time.perf_counter() - started) * 1000,
            answer.mode,
            answer.refused,
        )
        yield {"type": "answer", "answer": answer}

    def assess(self, question: str, history: list[dict] | None = None) -> Assessment | None:
        """The evidence and the policy's decision for a question, without composing an
        answer (evals fit the policy on these)."""
        question, _ = strip_instructions(self._check(question))
        query = self.expander.expand(self.resolve(question, history))
        hits, vector = self._retrieve(query, 8)
        return self.extractive.assess(question, query, hits, vector)

    def _extractive_answer(
        self, question: str, assessment: Assessment | None, hits: list[Hit]
    ) -> Answer:
        if assessment is None:
            return refusal(question, hits, "no passages retrieved")
        return self.extractive.compose(question, assessment, hits, self.today)

    def _worth_generating(self, hits: list[Hit]) -> bool:
        top = max((h.dense_similarity or 0.0 for h in hits[:3]), default=0.0)
        return bool(hits) and top >= self.policy.retrieval_floor

    def _stream_llm(self, question: str, resolved: str, hits: list[Hit], extractive: Answer):
        """Generate, then show only what the checker lets through. Sentences are verified as
        soon as they are complete, so text streams without ever showing an unchecked claim."""
        text, shown = "", ""
        try:
            for piece in self.llm.generate(resolved, hits):
                text += piece
                partial, _ = self.llm.verified(question, hits, _complete_sentences(text))
                if (
                    partial is not None
                    and partial.answer.startswith(shown)
                    and len(partial.answer) > len(shown)
                ):
                    yield {"type": "delta", "text": partial.answer[len(shown) :]}
                    shown = partial.answer
        except Exception as exc:  # unreachable server, timeout: the offline answer still works
            log.warning("LLM failed, using extractive answer: %s", exc)
            notes = [f"llm error: {exc.__class__.__name__}"]
            return (yield from self._fallback_stream(extractive, shown, notes))
        answer, notes = self.llm.verified(question, hits, text)
        if answer is None:
            return (yield from self._fallback_stream(extractive, shown, notes))
        notes_text = currency_notes(
            answer.citations, {h.chunk.chunk_id: h.chunk for h in hits}, self.today
        )
        if notes_text:
            answer.answer = answer.answer + "\n\n" + "\n".join(notes_text)
        if answer.answer.startswith(shown):
            yield {"type": "delta", "text": answer.answer[len(shown) :]}
        else:
            yield {"type": "replace", "text": answer.answer}
        return answer

    def _fallback_stream(self, extractive: Answer, shown: str, notes: list[str]):
        yield {"type": "replace" if shown else "delta", "text": extractive.answer}
        extractive.notes = notes + extractive.notes
        return extractive


def _complete_sentences(text: str) -> str:
    """The text up to its last sentence end (the rest may still change)."""
    cut = max(text.rfind(". "), text.rfind("! "), text.rfind("? "), text.rfind("\n"))
    return text[: cut + 1] if cut >= 0 else ""


def _pieces(text: str) -> list[str]:
    """Line by line, so a client shows the answer as it arrives; joined they are the text."""
    return [line for line in text.splitlines(keepends=True)] or [text]
