"""The assistant as one service object, the façade every caller uses: `ask`, `stream` and
`search`; the corpus views `documents`, `document`, `chunk`, `glossary_terms`, `starters`;
`reindex`, `reload` and `stats`; and `with_settings` for ablations (a new service, never a
mutated one)."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ingest.embeddings import Embedder, build_embedder
from ingest.manifest import load_starters
from ingest.models import Chunk, DocumentMeta
from ingest.settings import Settings
from ingest.store import ChunkStore

from .compose import currency_notes, refusal
from .crosslingual import WordTranslator
from .derived import DerivedIndex, load_or_build
from .extractive import Assessment, ExtractiveAnswerer
from .followup import asked_part, carry_over, needs_context
from .glossary import Term
from .language import load_word_lists
from .models import Answer, Hit
from .policy import (
    AnswerPolicy,
    FusionModel,
    fusion_model,
    ranking_model,
    translation_threshold,
)
from .query import QueryExpander, for_encoder, normalise
from .questions import direct
from .rerank import Reranker, build_reranker
from .retrieval import HybridRetriever, Ranking
from .scoring import UnitScorer, UnitVectors, Vocabulary
from .units import strip_instructions

if TYPE_CHECKING:  # imported where used: LangChain's chat stack and the loaders cost seconds
    from ingest.pipeline import IngestReport

    from .llm import LLMAnswerer

log = logging.getLogger(__name__)
# Passages a search retrieves at least: the answerer reads the first few, and the reranker and
# the LLM's sources take from these
PASSAGES = 10


class QuestionError(ValueError):
    """The question cannot be answered as given (empty, too long)."""


class ReindexBusyError(RuntimeError):
    """A re-indexing is already running."""


@dataclass
class IndexStats:
    documents: int
    chunks: int
    embedding_model: str
    index_version: str | None = None
    llm: str = "none"
    load_seconds: dict[str, float] | None = None  # reading (or building) each derived part


@dataclass(frozen=True)
class DocumentSummary:
    meta: DocumentMeta
    chunks: int


@dataclass(frozen=True)
class DocumentView:
    meta: DocumentMeta
    chunks: list[Chunk]  # in position order


@dataclass(frozen=True)
class ChunkView:
    chunk: Chunk
    prev_chunk_id: str | None  # the chunks before and after it in its document
    next_chunk_id: str | None


@dataclass(frozen=True)
class Prepared:
    question: str  # the message's asking part, without instructions
    instructed: bool  # instructions were removed from it
    resolved: str  # resolved against the conversation (a follow-up carries its topic)
    query: str  # resolved, corrected and expanded: what is searched
    corrected: str  # the question with misspellings corrected: its kind is read from it

    @property
    def followup(self) -> bool:
        """Whether the conversation's topic was carried into what is searched."""
        return self.resolved != self.question


class AssistantService:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChunkStore,
        reranker: Reranker,
        llm: LLMAnswerer | None = None,
        today: date | None = None,
        index: DerivedIndex | None = None,
    ) -> None:
        """`index`: the chunk list, BM25 index and glossary, when another service over the
        same store already holds them (`with_settings`); otherwise read from files."""
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.reranker = reranker
        self.llm = llm
        self._today = today
        self._reindexing = threading.Lock()
        self._load(index or load_or_build(settings, store))

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder | None = None
    ) -> AssistantService:
        embedder = embedder or build_embedder(settings)
        store = ChunkStore.open(settings, embedder.model_id, embedder.dim)
        reranker = build_reranker(settings.reranker, settings.reranker_model)
        return cls(settings, embedder, store, reranker, _llm(settings))

    @classmethod
    def prepare_index(cls, settings: Settings, embedder: Embedder) -> DerivedIndex:
        """Build whatever derived files the current index version lacks (after ingestion),
        so that the next start only reads them."""
        return load_or_build(settings, ChunkStore.open(settings, embedder.model_id, embedder.dim))

    def _load(self, index: DerivedIndex) -> None:
        self.index = index
        s = self.settings
        self.retriever = HybridRetriever(
            self.store,
            self.embedder,
            index.chunks,
            bm25_weight=s.bm25_weight,
            dense_weight=s.dense_weight,
            unit_weight=s.unit_weight,
            rrf_k=s.rrf_k,
            candidates=s.candidates,
            bm25=index.bm25,
            fusion=self._fusion(),
        )
        self._rebuild_derived()

    def _fusion(self) -> FusionModel | None:
        if self.settings.fusion == "rrf":
            return None
        model = fusion_model()
        if model is None:
            log.warning("no fitted retrieval fusion in assistant/fitted.json: fusing by RRF")
        return model

    def _translator(self) -> WordTranslator | None:
        min_cosine = translation_threshold()
        if min_cosine is None:
            log.warning(
                "no fitted word translation in assistant/fitted.json: English "
                "questions match the sources by their names only"
            )
            return None
        return WordTranslator(
            self.retriever.bm25.vocabulary,
            self.embedder.embed_queries,
            min_cosine,
            self.embedder.model_id,
        )

    def warm_up(self) -> None:
        """Do now what the first English question would otherwise wait for (a few seconds):
        embed the corpus words it is translated to. A server calls it as it starts."""
        if self.translator is not None:
            self.translator.warm()

    def _rebuild_derived(self) -> None:
        load_word_lists()
        self.glossary: list[Term] = self.index.glossary
        self._starters: list[str] | None = None
        self.translator = self._translator()
        self.expander = QueryExpander(
            self.glossary,
            self.retriever.bm25.vocabulary,
            self.translator.swedish if self.translator else None,
        )
        self.unit_vectors = UnitVectors(self.store.unit_vectors, self.embedder.embed_documents)
        self.policy = AnswerPolicy.fitted()
        bm25 = self.retriever.bm25
        self.extractive = ExtractiveAnswerer(
            Vocabulary(bm25.doc_freq, len(self.index.chunks), bm25.years, bm25.names),
            UnitScorer(self.retriever.neighbours, self.unit_vectors),
            self.policy,
            ranking_model(),
        )

    def reload(self) -> None:
        """Re-read the index after ingestion in this process (files of the current index
        version). A server does not reload in place: api/index_watch.py swaps in a new service
        when the store's index counter changes, so requests in flight finish on the old one."""
        self._load(load_or_build(self.settings, self.store))

    def reindex(self) -> IngestReport:
        """Bring the index in line with the corpus folder, then serve the new version.
        Raises ReindexBusyError while another re-indexing runs."""
        from ingest.pipeline import run_ingest

        if not self._reindexing.acquire(blocking=False):
            raise ReindexBusyError("a re-indexing is already running")
        try:
            report = run_ingest(self.settings, embedder=self.embedder)
            self.reload()
        finally:
            self._reindexing.release()
        return report

    def with_settings(self, **overrides) -> AssistantService:
        """A new service with some settings changed (an ablation), sharing this one's
        embedder, store, index files and, unless their settings change, reranker and LLM."""
        settings = self.settings.model_copy(update=overrides)
        reranker, llm = self.reranker, self.llm
        if any(k.startswith("reranker") for k in overrides):
            reranker = build_reranker(settings.reranker, settings.reranker_model)
        if any(k.startswith(("llm", "support_")) for k in overrides):
            llm = _llm(settings)
        return AssistantService(
            settings, self.embedder, self.store, reranker, llm, self._today, index=self.index
        )

    # --- the corpus ----------------------------------------------------------------

    def documents(self) -> list[DocumentSummary]:
        """Every document in the index with its number of chunks, by title."""
        docs = [DocumentSummary(m, n) for m, n in self.index.chunks.documents()]
        return sorted(docs, key=lambda d: d.meta.title.lower())

    def document(self, doc_id: str) -> DocumentView | None:
        table = self.index.chunks
        rows = table.document_rows(doc_id)
        if not rows:
            return None
        chunks = [table[i] for i in rows]
        return DocumentView(chunks[0].meta, chunks)

    def chunk(self, chunk_id: str) -> ChunkView | None:
        table = self.index.chunks
        i = table.index_of(chunk_id)
        if i is None:
            return None
        rows = table.document_rows(table[i].doc_id)
        return ChunkView(
            table[i],
            table.ids[i - 1] if i - 1 in rows else None,
            table.ids[i + 1] if i + 1 in rows else None,
        )

    def glossary_terms(self) -> list[Term]:
        """Acronyms and terms the corpus defines, by term."""
        return list(self.glossary)

    @property
    def today(self) -> date:
        return self._today or date.today()

    def starters(self, limit: int = 5) -> list[str]:
        """Starter questions for newcomers: the corpus manifest's candidates that the index
        really answers, plus one per defined term; checked once and cached."""
        if self._starters is None:
            candidates = load_starters(self.settings.corpus_dir)
            candidates += [f"Vad betyder {t.term}?" for t in self.glossary[:3]]
            self._starters = [q for q in candidates if not self.ask(q).refused][:limit]
        return self._starters

    def stats(self) -> IndexStats:
        table = self.index.chunks
        return IndexStats(
            table.document_count(),
            len(table),
            self.embedder.model_id,
            self.index.version,
            self.settings.llm if self.llm else "none",
            {k: round(v, 3) for k, v in self.index.seconds.items()},
        )

    # --- search ----------------------------------------------------------------

    def search(self, query: str, k: int = 10) -> list[Hit]:
        query = self._check(query)
        return self._retrieve(self.expander.expand(query), k)[0]

    def _retrieve(self, query: str, k: int) -> tuple[list[Hit], list[float]]:
        vector = self.embedder.embed_query(for_encoder(query, self.embedder.token_count))
        hits = self.retriever.search(query, max(k, PASSAGES), vector=vector)
        return self.reranker.rerank(query, hits)[:k], vector

    def rankings(self, question: str, history: list[dict] | None = None) -> dict[str, Ranking]:
        """Each ranker's passages for a question, as `ask` searches it, before fusion (evals
        fit the fusion on these); empty when nothing is left to search."""
        p = self._prepare(self._check(question), history)
        if p is None:
            return {}
        vector = self.embedder.embed_query(for_encoder(p.query, self.embedder.token_count))
        return self.retriever.rankings(p.query, vector, self.search_depth)

    @property
    def search_depth(self) -> int:
        """How deep `ask` reads each ranking (its search asks for at least PASSAGES)."""
        return self.retriever.depth(PASSAGES)

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
        p = self._prepare(asked, history)
        if p is None:
            instructed = strip_instructions(asked)[1]
            why = "only instructions, no question" if instructed else "no words in the question"
            answer = refusal(asked, [], why, instructions=instructed)
            yield {"type": "delta", "text": answer.answer}
            yield {"type": "answer", "answer": answer}
            return
        question, resolved = p.question, p.resolved
        hits, vector = self._retrieve(p.query, 8)
        assessment = self.extractive.assess(p.corrected, p.query, hits, vector, p.followup)
        extractive = self._extractive_answer(question, assessment, hits)
        if p.instructed:
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
        p = self._prepare(self._check(question), history)
        if p is None:
            return None
        hits, vector = self._retrieve(p.query, 8)
        return self.extractive.assess(p.corrected, p.query, hits, vector, p.followup)

    def _prepare(self, asked: str, history: list[dict] | None) -> Prepared | None:
        """What is searched and answered for a message: its asking part without instructions,
        resolved against the conversation, corrected and expanded. None when no word is left
        (only instructions, or only punctuation)."""
        question, instructed = strip_instructions(asked)
        question = direct(asked_part(question))
        if not re.search(r"\w", question):  # nothing left, or only "?" and "!!!"
            return None
        resolved = self.resolve(question, history)
        corrected_resolved, query = self.expander.rewrite(resolved)
        # the answer's shape is read from the question itself, not from what it carries over
        corrected = corrected_resolved if resolved == question else self.expander.correct(question)
        return Prepared(question, instructed, resolved, query, corrected)

    def _extractive_answer(
        self, question: str, assessment: Assessment | None, hits: list[Hit]
    ) -> Answer:
        if assessment is None:
            return refusal(question, hits, "no passages retrieved")
        return self.extractive.compose(question, assessment, hits, self.today)

    def _worth_generating(self, hits: list[Hit]) -> bool:
        top = max((h.dense_similarity or 0.0 for h in hits[:3]), default=0.0)
        floor = self.settings.retrieval_floor
        return bool(hits) and top >= (self.policy.retrieval_floor if floor is None else floor)

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


def _llm(settings: Settings) -> LLMAnswerer | None:
    if settings.llm == "none":
        return None
    from .llm import LLMAnswerer, build_chat_model

    return LLMAnswerer(build_chat_model(settings), settings.support_threshold)


def _complete_sentences(text: str) -> str:
    """The text up to its last sentence end (the rest may still change)."""
    cut = max(text.rfind(". "), text.rfind("! "), text.rfind("? "), text.rfind("\n"))
    return text[: cut + 1] if cut >= 0 else ""


def _pieces(text: str) -> list[str]:
    """Line by line, so a client shows the answer as it arrives; joined they are the text."""
    return [line for line in text.splitlines(keepends=True)] or [text]
