"""The question file format (JSON Lines; see evals/QUESTIONS.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.text import fold

DEFAULT_QUESTIONS = Path(__file__).with_name("questions.jsonl")
KINDS = {
    "fact",
    "who",
    "when",
    "list",
    "why",
    "how",
    "paraphrase",
    "typo",
    "followup",
    "english",
    "unanswerable",
    "injection",
}


@dataclass
class Question:
    id: str
    split: str
    kind: str
    question: str
    history: list[dict] = field(default_factory=list)
    gold_doc: str | None = None
    evidence: list[str] = field(default_factory=list)
    key_facts: list[list[str]] = field(default_factory=list)
    note: str | None = None
    overlap: float | None = None  # see evals/overlap.py

    @property
    def answerable(self) -> bool:
        return self.kind not in ("unanswerable", "injection")

    @property
    def question_set(self) -> str:
        """The set the question came with, one writer's or one round's ("ua-012" -> "ua"; the
        129 original questions are "q")."""
        return self.id.split("-")[0] if "-" in self.id else "q"

    @property
    def forbidden(self) -> str | None:
        m = re.match(r"forbidden:\s*(.+)", self.note or "")
        return m.group(1).strip() if m else None


def load_questions(path: Path = DEFAULT_QUESTIONS, split: str | None = None) -> list[Question]:
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            q = Question(**{k: v for k, v in raw.items() if k in Question.__dataclass_fields__})
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{n}: not a valid question ({exc})") from exc
        if q.kind not in KINDS:
            raise ValueError(f"{path}:{n}: unknown kind {q.kind!r}")
        q.evidence = q.evidence or []
        q.key_facts = q.key_facts or []
        q.history = q.history or []
        if split in (None, "all") or q.split == split:
            questions.append(q)
    return questions


def evidence_fold(text: str) -> str:
    """fold() plus list punctuation: bullets and dashes between words do not count."""
    text = fold(text)
    text = re.sub(r"(^|\s)[•\-–—](?=\s)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def contains_evidence(text: str, evidence: list[str]) -> bool:
    folded = evidence_fold(text)
    return any(evidence_fold(e) in folded for e in evidence)


def has_fact(answer: str, variants: list[str]) -> bool:
    folded = evidence_fold(answer)
    return any(evidence_fold(v) in folded for v in variants)


def has_facts(answer: str, key_facts: list[list[str]]) -> bool:
    """Whether the text holds every key fact (one of its variants each)."""
    return all(has_fact(answer, variants) for variants in key_facts)
