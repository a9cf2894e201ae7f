"""How much of a question's wording its evidence shares: the share of the question's content
lemmas (compound parts included) found in the evidence spans. Low overlap is a question
asked in the user's own words; the report shows every metric by overlap band.

    python -m evals.overlap evals/questions.jsonl   # (re)writes each question's `overlap`
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.language import compound_parts, terms
from ingest.text import tokens

BANDS = [(0.0, 0.3, "≤ 0.3"), (0.3, 0.6, "0.3–0.6"), (0.6, 1.01, "> 0.6")]


def _bag(text: str) -> set[str]:
    bag = set(terms(text))
    for tok in tokens(text):
        bag.update(compound_parts(tok))
    return bag


def overlap(question: str, evidence: list[str]) -> float | None:
    """None for questions without evidence (unanswerable, injection)."""
    if not evidence:
        return None
    wanted = set(terms(question))
    if not wanted:
        return 0.0
    found = _bag(" ".join(evidence))
    hit = 0.0
    for t in wanted:
        if t in found:
            hit += 1
    return round(hit / len(wanted), 3)


def band(value: float | None) -> str | None:
    if value is None:
        return None
    return next(name for lo, hi, name in BANDS if lo <= value < hi)


def main(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        if not line.strip():
            continue
        q = json.loads(line)
        q["overlap"] = overlap(q["question"], q.get("evidence") or [])
        out.append(json.dumps(q, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
