"""Thumbs up/down on answers, kept in SQLite next to the index."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

SCHEMA = """CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT
)"""


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(
        self,
        question: str,
        answer: str,
        citations: list[dict],
        rating: str,
        comment: str | None = None,
    ) -> int:
        with self._lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, question, answer, citations, rating, comment)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    question,
                    answer,
                    json.dumps(citations, ensure_ascii=False),
                    rating,
                    comment,
                ),
            )
            return int(cur.lastrowid)

    def all(self, rating: str | None = None) -> list[dict]:
        query = "SELECT id, created_at, question, answer, citations, rating, comment FROM feedback"
        args: tuple = ()
        if rating:
            query += " WHERE rating = ?"
            args = (rating,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        keys = ["id", "created_at", "question", "answer", "citations", "rating", "comment"]
        return [dict(zip(keys, r, strict=True)) | {"citations": json.loads(r[4])} for r in rows]

    def eval_candidates(self) -> list[dict]:
        """Negative feedback as eval-question candidates (format of evals/questions.jsonl);
        an evaluator fills in kind, gold evidence and key facts."""
        out = []
        for row in self.all("down"):
            cited = row["citations"][0]["doc_id"] if row["citations"] else None
            out.append(
                {
                    "id": f"fb{row['id']:04d}",
                    "split": "candidate",
                    "kind": "fact",
                    "question": row["question"],
                    "history": [],
                    "gold_doc": cited,
                    "evidence": [],
                    "key_facts": [],
                    "note": f"from negative feedback {row['created_at']}: {row['comment'] or ''}"
                    f" | answer given: {row['answer'][:300]}",
                }
            )
        return out
