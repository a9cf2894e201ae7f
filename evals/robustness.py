"""The answerable questions as users also type them: the same question rewritten in ways that
do not change what it asks, each run through the assistant, key facts and refusals beside the
question as written.

    python -m evals.robustness [--split test]

Rewrites (deterministic; questions with history are left out, their follow-up is the point):
- no å/ä/ö: typed on a keyboard without them ("nar antogs malbilden");
- lowercase, no punctuation: chat style;
- a preamble: the asker's context before the question ("Jag är ny i min roll …");
- a greeting and thanks around it;
- made indirect ("Jag undrar vem leder …", word order as users often leave it);
- two letters swapped in its longest word.
Writes evals/results/robustness.json. Reported, never tuned on: the rewrites are fixed here."""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
from collections.abc import Callable
from pathlib import Path

from ingest.text import fold_diacritics

from .dataset import Question, has_facts, load_questions

RESULTS = Path(__file__).with_name("results") / "robustness.json"
PREAMBLE = "Jag är ny i min roll och håller på att sätta mig in i hur vi samverkar. "


def swapped(text: str, seed: int = 7) -> str:
    """Two neighbouring letters swapped inside the longest word (of more than five)."""
    words = text.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    if len(w) > 5:
        j = random.Random(f"{seed}:{text}").randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


REWRITES: dict[str, Callable[[str], str]] = {
    "as written": lambda q: q,
    "no å/ä/ö": fold_diacritics,
    "lowercase, no punctuation": lambda q: re.sub(r"[?.!,]", "", q).lower(),
    "preamble": lambda q: PREAMBLE + q,
    "greeting and thanks": lambda q: f"Hej! {q} Tack på förhand!",
    "indirect (Jag undrar …)": lambda q: "Jag undrar " + q[:1].lower() + q[1:],
    "two letters swapped": swapped,
}


def run(service, questions: list[Question]) -> list[dict]:
    rows = []
    for name, rewrite in REWRITES.items():
        facts, refused = [], []
        for q in questions:
            answer = service.ask(rewrite(q.question))
            refused.append(answer.refused)
            facts.append(not answer.refused and has_facts(answer.answer, q.key_facts))
        rows.append(
            {
                "rewrite": name,
                "questions": len(questions),
                "key_facts": round(statistics.mean(facts), 3),
                "false_refusals": round(statistics.mean(refused), 3),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    from assistant.service import AssistantService
    from ingest.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", default="test", choices=("test", "dev", "all"))
    args = parser.parse_args(argv)
    questions = [
        q
        for q in load_questions(split=None if args.split == "all" else args.split)
        if q.answerable and q.key_facts and not q.history
    ]
    rows = run(AssistantService.from_settings(Settings()), questions)
    print(f"{'rewrite':28s} {'key facts':>9s} {'refused':>8s}   ({len(questions)} questions)")
    for r in rows:
        print(f"{r['rewrite']:28s} {r['key_facts']:9.3f} {r['false_refusals']:8.3f}")
    RESULTS.write_text(json.dumps({"split": args.split, "rows": rows}, indent=1) + "\n")
    return rows


if __name__ == "__main__":
    main()
