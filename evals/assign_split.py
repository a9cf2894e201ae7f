"""Assign dev/test to questions that have no split yet: once, seeded, stratified by kind,
before any tuning (evals/QUESTIONS.md, "Splits"). Questions that have a split keep it.

    python -m evals.assign_split NEW.jsonl [NEW2.jsonl …] --into evals/questions.jsonl
        [--dev-share 0.4]
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

SEED = 20261130
DEV_SHARE = 0.4


def assign(questions: list[dict], seed: int = SEED, dev_share: float = DEV_SHARE) -> list[dict]:
    rng = random.Random(seed)
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        if not q.get("split"):
            by_kind[q["kind"]].append(q)
    for kind in sorted(by_kind):
        group = sorted(by_kind[kind], key=lambda q: q["id"])
        rng.shuffle(group)
        n_dev = round(dev_share * len(group))
        for i, q in enumerate(group):
            q["split"] = "dev" if i < n_dev else "test"
    return questions


FIELDS = ["id", "split", "kind", "question", "history", "gold_doc", "evidence", "key_facts"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("new", nargs="+", type=Path)
    parser.add_argument("--into", type=Path, required=True)
    parser.add_argument("--dev-share", type=float, default=DEV_SHARE)
    args = parser.parse_args()
    existing = [json.loads(x) for x in args.into.read_text(encoding="utf-8").splitlines() if x]
    new = [json.loads(x) for p in args.new for x in p.read_text(encoding="utf-8").splitlines() if x]
    known = {q["id"] for q in existing}
    new = assign([q for q in new if q["id"] not in known], dev_share=args.dev_share)
    out = []
    for q in sorted(existing + new, key=lambda q: q["id"]):
        ordered = {k: q[k] for k in FIELDS if k in q}
        ordered.update({k: v for k, v in q.items() if k not in ordered})
        out.append(json.dumps(ordered, ensure_ascii=False))
    args.into.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(new)} questions added to {args.into} ({len(out)} in all)")


if __name__ == "__main__":
    main()
