"""The offline answerer: picks the sentences, items or whole lists that answer the
question from the top passages and quotes them verbatim with [n] markers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from ingest.embeddings import Embedder
from ingest.models import Chunk

from .analysis import contains_term, terms
from .compose import CitationBook, currency_notes, refusal
from .crosslingual import swedish_part
from .models import Answer, Hit
from .questions import DATE_LIKE, NUMBER, ROLE_WORDS, has_person, is_english, question_kind
from .retrieval import BM25Index
from .units import Unit, chunk_units, is_question, looks_like_injection

# Question words that shape the answer rather than name its topic.
NOT_REQUIRED = {"en", "ett", "två", "tre", "fyr", "fem", "sex", "sju", "åtta", "nio", "tio", "tolv"}
WHO_VERBS = {"led", "ansvar", "ansvarig", "ansvarar"}


@dataclass
class ExtractiveConfig:
    top_chunks: int = 4
    min_coverage: float = 0.5  # share of the question's weight the answer must contain ...
    min_dense: float = 0.86  # ... unless the answer is this close in meaning (e5 cosine)
    missing_share: float = 0.3  # one missing term this heavy means another topic
    dense_floor: float = 0.78
    dense_span: float = 0.10


@dataclass
class Scored:
    unit: Unit
    lexical: float
    dense: float = 0.0
    score: float = 0.0


class ExtractiveAnswerer:
    def __init__(
        self,
        bm25: BM25Index,
        embedder: Embedder,
        neighbours: Callable[[Chunk], list[Chunk]],
        config: ExtractiveConfig | None = None,
        stored_vectors: Callable[[list[str]], dict[str, list[float]]] | None = None,
    ) -> None:
        self.bm25 = bm25
        self.embedder = embedder
        self.neighbours = neighbours
        self.config = config or ExtractiveConfig()
        # unit vectors that ingestion stored, by chunk ids; embedding is the fallback
        self.stored_vectors = stored_vectors
        self._unit_vectors: dict[str, np.ndarray] = {}
        self._units: dict[str, list[Unit]] = {}  # chunk id -> its units, split and stemmed once

    def answer(
        self,
        question: str,
        query: str,
        hits: list[Hit],
        query_vector: list[float] | None,
        today: date | None = None,
    ) -> Answer:
        """`question` is what the user asked; `query` is it resolved and expanded."""
        kind = question_kind(question)
        english = is_english(question)
        q_terms = self._question_terms(query, english, kind)
        weights = {t: self._weight(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        scored = self._score_units(q_terms, weights, total, hits, kind)
        if not scored:
            return refusal(question, hits, "no passages retrieved")
        best_lexical = max(s.lexical for s in scored)
        if (best_lexical < 0.5 or english) and query_vector is not None:
            self._add_dense(scored, query_vector)
        for s in scored:
            s.score += s.dense
        scored.sort(key=lambda s: -s.score)
        chosen = self._select(kind, scored)
        diag = self._diagnostics(question, q_terms, weights, total, chosen)
        diag.update(kind=kind, english=english, best_lexical=round(best_lexical, 3))
        reason = self._judge(question, kind, english, diag, chosen[0], query_vector)
        if reason:
            answer = refusal(question, hits, reason)
        else:
            answer = self._compose(question, chosen, hits, today or date.today())
        answer.diagnostics = diag
        return answer

    def _question_terms(self, query: str, english: bool, kind: str) -> list[str]:
        if english:  # English words never match the Swedish text: use the Swedish additions
            query = swedish_part(query)
        found = [t for t in dict.fromkeys(terms(query)) if t not in NOT_REQUIRED]
        # "mas/mar-nätverket" is required through its parts, not as one rare token
        found = [t for t in found if not ("-" in t or "/" in t)] or found
        if kind == "who":  # "Vem leder X?" is answered by "X – Ansvarig: N"
            found = [t for t in found if t not in WHO_VERBS]
        return found

    def _weight(self, term: str) -> float:
        return self.bm25.idf(term) if term in self.bm25.doc_freq else self._max_idf()

    def _diagnostics(self, question, q_terms, weights, total, chosen) -> dict:
        answer_terms: set[str] = set()
        for u in chosen:
            answer_terms |= u.terms | set(terms(" ".join(u.chunk.heading_path[1:])))
        missing = [t for t in q_terms if not contains_term(t, answer_terms)]
        text = " ".join(u.text for u in chosen)
        return {
            "answer_coverage": round(
                sum(weights[t] for t in q_terms if t not in missing) / total, 3
            ),
            "missing": missing,
            "missing_max_share": round(max((weights[t] for t in missing), default=0) / total, 3),
            "unknown_share": round(
                sum(w for t, w in weights.items() if t not in self.bm25.doc_freq) / total, 3
            ),
            # a date the question itself names does not answer "when"
            "has_date": any(
                m.group(0).lower() not in question.lower() for m in DATE_LIKE.finditer(text)
            ),
            "has_number": bool(NUMBER.search(text)),
            "has_person": has_person(text),
        }

    def _judge(
        self,
        question: str,
        kind: str,
        english: bool,
        d: dict,
        best: Unit,
        query_vector: list[float] | None,
    ) -> str | None:
        """Why the sources do not answer the question, or None when they do. The answer's
        closeness in meaning is looked up only when the lexical evidence leaves it open."""
        cfg = self.config

        def dense_ok() -> bool:
            if query_vector is None:
                return False
            if "dense" not in d:
                self._load_vectors([best])
                q = np.asarray(query_vector, dtype=np.float32)
                d["dense"] = round(float(self._unit_vectors[best.text] @ q), 4)
            return d["dense"] >= cfg.min_dense

        if kind == "when" and not d["has_date"]:
            return "no date in the best passage"
        if kind == "count" and not d["has_number"]:
            return "no number in the best passage"
        if (
            kind == "who"
            and question.lower().lstrip().startswith(("vem", "och vem", "who"))
            and not d["has_person"]
        ):
            return "no person in the best passage"
        # English words are absent from the Swedish text: there closeness in meaning decides
        if d["missing_max_share"] >= cfg.missing_share and not (english and dense_ok()):
            return f"the passage does not mention {d['missing']}"
        if d["answer_coverage"] < cfg.min_coverage and not dense_ok():
            return f"weak evidence (coverage {d['answer_coverage']:.2f})"
        return None

    # --- scoring -------------------------------------------------------------

    def _max_idf(self) -> float:
        n = max(len(self.bm25.chunks), 1)
        return float(np.log(1 + (n + 0.5) / 0.5))

    def _candidates(self, hits: list[Hit]) -> list[tuple[Chunk, int]]:
        out: dict[str, tuple[Chunk, int]] = {}
        for rank, hit in enumerate(hits[: self.config.top_chunks], start=1):
            out.setdefault(hit.chunk.chunk_id, (hit.chunk, rank))
            for nb in self.neighbours(hit.chunk):
                out.setdefault(nb.chunk_id, (nb, rank + 1))
        return list(out.values())

    def _score_units(self, q_terms, weights, total, hits, kind) -> list[Scored]:
        out: list[Scored] = []
        for chunk, rank in self._candidates(hits):
            heading_terms = set(terms(" ".join(chunk.heading_path)))  # title and headings
            for unit in self._chunk_units(chunk):
                if looks_like_injection(unit.text):
                    continue
                inside = [t for t in q_terms if contains_term(t, unit.terms)]
                own = sum(weights[t] for t in inside)
                ctx = sum(
                    weights[t]
                    for t in q_terms
                    if t not in inside and contains_term(t, heading_terms)
                )
                lexical = (own + 0.5 * ctx) / total
                score = lexical + 0.15 / rank + self._shape_bonus(unit, kind)
                if is_question(unit.text):
                    score *= 0.3  # headings phrased as questions are not answers
                elif unit.kind == "sentence" and len(unit.text.split()) < 4:
                    score *= 0.5
                out.append(Scored(unit, lexical, score=score))
        return out

    def _chunk_units(self, chunk: Chunk) -> list[Unit]:
        if chunk.chunk_id not in self._units:
            if len(self._units) > 20_000:  # bound the cache of a long-running process
                self._units.clear()
            self._units[chunk.chunk_id] = chunk_units(chunk)
        return self._units[chunk.chunk_id]

    @staticmethod
    def _shape_bonus(unit: Unit, kind: str) -> float:
        text = unit.text
        if kind == "who":
            return (
                0.3
                if has_person(text) and ROLE_WORDS.search(text + " " + (unit.lead or ""))
                else (0.1 if has_person(text) else 0.0)
            )
        if kind == "when":
            return 0.3 if DATE_LIKE.search(text) else 0.0
        if kind == "count":
            return 0.3 if NUMBER.search(text) and unit.kind != "list" else 0.0
        if kind == "list":  # "Vilka …?" wants the items, not a sentence about them
            return 0.4 if unit.kind == "list" else (0.3 if text.count(",") >= 4 else 0.0)
        return 0.0

    def _norm(self, sim: float) -> float:
        cfg = self.config
        return float(np.clip((sim - cfg.dense_floor) / cfg.dense_span, 0.0, 1.0))

    def _load_vectors(self, units: list[Unit]) -> None:
        """Put the units' vectors in the cache: those stored at ingestion, read for their
        chunks in one query; any others (an index built without them) are embedded."""
        if len(self._unit_vectors) > 50_000:  # bound the cache of a long-running process
            self._unit_vectors.clear()
        missing = [u for u in units if u.text not in self._unit_vectors]
        if not missing:
            return
        if self.stored_vectors is not None:
            stored = self.stored_vectors(list(dict.fromkeys(u.chunk.chunk_id for u in missing)))
            for text, vec in stored.items():
                self._unit_vectors[text] = np.asarray(vec, dtype=np.float32)
        texts = list(dict.fromkeys(u.text for u in missing if u.text not in self._unit_vectors))
        if texts:
            for text, vec in zip(texts, self.embedder.embed_documents(texts), strict=True):
                self._unit_vectors[text] = np.asarray(vec, dtype=np.float32)

    def _add_dense(self, scored: list[Scored], query_vector: list[float]) -> None:
        """Weak lexical evidence (paraphrase, English question): compare meaning instead."""
        top = sorted(scored, key=lambda s: -s.score)[:24]
        self._load_vectors([s.unit for s in top])
        q = np.asarray(query_vector, dtype=np.float32)
        for s in top:
            s.dense = self._norm(float(self._unit_vectors[s.unit.text] @ q))

    # --- selection and composition ---------------------------------------------

    def _select(self, kind: str, scored: list[Scored]) -> list[Unit]:
        best = scored[0]
        if kind in ("list", "count") and best.unit.kind == "item":
            parent = next(
                (
                    s.unit
                    for s in scored
                    if s.unit.kind == "list"
                    and s.unit.chunk is best.unit.chunk
                    and best.unit.text in s.unit.text
                ),
                None,
            )
            if parent is not None and kind == "list":
                return [parent]
        if kind == "list" or (best.unit.kind == "list" and kind == "what"):
            return [best.unit]
        if best.unit.kind == "list":  # who/when/count: the item or sentence, not the whole list
            scored = [s for s in scored if s.unit.kind != "list"]
            best = scored[0]
        chosen = [best.unit]
        if kind in ("who", "when"):
            return chosen
        for s in scored[1:4]:
            if len(chosen) == 2:
                break
            if (
                s.score >= 0.85 * best.score
                and s.unit.kind != "list"
                and not any(s.unit.text in c.text or c.text in s.unit.text for c in chosen)
            ):
                chosen.append(s.unit)
        return chosen

    def _compose(self, question: str, units: list[Unit], hits: list[Hit], today: date) -> Answer:
        book = CitationBook()
        parts: list[str] = []
        for unit in units:
            n = book.cite(unit.chunk, unit.text)
            book.extend_quote(n, unit.text)
            parts.append(f"{unit.text} [{n}]")
        chunks = {u.chunk.chunk_id: u.chunk for u in units}
        notes = currency_notes(book.citations, chunks, today)
        if any(u.kind == "list" for u in units):
            body = "\n\n".join(parts)
        else:
            body = "\n".join(parts) if any(u.kind == "item" for u in units) else " ".join(parts)
        text = "\n\n".join([body, *notes])
        return Answer(
            question=question,
            answer=text.strip(),
            refused=False,
            mode="extractive",
            citations=book.citations,
            sources=hits,
        )
