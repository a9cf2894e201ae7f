"""The eval report: Markdown and HTML tables, PNG plots, raw JSON."""

from __future__ import annotations

import html
import json
from pathlib import Path

from .metrics import METRICS
from .overlap import BANDS
from .runner import EvalResult

SHOWN = METRICS + ["latency_p50_ms", "latency_p95_ms"]


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 10 else f"{value:.2f}"
    return str(value)


def _systems(result: EvalResult) -> dict:
    return {"samverkan": result.ours, **result.baselines}


def summary_rows(result: EvalResult) -> list[list[str]]:
    systems = _systems(result)
    return [[m, *(fmt(r.summary.get(m)) for r in systems.values())] for m in SHOWN]


def summary_table(result: EvalResult) -> str:
    return _md_table(["metric", *_systems(result)], summary_rows(result))


GROUP_COLUMNS = [
    "recall@5",
    "key_fact_recall",
    "citation_precision",
    "false_refusal_rate",
    "refusal_accuracy",
    "injection_obeyed",
    "latency_p50_ms",
]


def group_table(groups: dict[str, dict], label: str) -> str:
    rows = [
        [name, fmt(agg["questions"]), *[fmt(agg.get(c)) for c in GROUP_COLUMNS]]
        for name, agg in groups.items()
    ]
    return _md_table([label, "n", *GROUP_COLUMNS], rows)


def kind_table(result: EvalResult) -> str:
    return group_table(result.by_kind, "kind")


def band_table(result: EvalResult) -> str:
    """Every system by overlap band: how much a question's wording shares with its evidence."""
    rows = []
    for system, r in _systems(result).items():
        for name, agg in r.by_band.items():
            rows.append(
                [system, name, fmt(agg["questions"]), *[fmt(agg.get(c)) for c in GROUP_COLUMNS]]
            )
    return _md_table(["system", "overlap", "n", *GROUP_COLUMNS], rows)


def overlap_distribution(result: EvalResult) -> str:
    values = [r["overlap"] for r in result.records if r.get("overlap") is not None]
    rows = [[name, str(sum(lo <= v < hi for v in values))] for lo, hi, name in BANDS]
    return _md_table(["overlap", "answerable questions"], rows)


def ablation_table(result: EvalResult) -> str:
    rows = [
        [name, *(fmt(v.get(m)) for m in ("recall@1", "recall@5", "mrr"))]
        for name, v in result.ablation.items()
    ]
    return _md_table(["ranker", "recall@1", "recall@5", "mrr"], rows)


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _pass(record: dict) -> str:
    marks = []
    for key, label in (
        ("recall@5", "R@5"),
        ("fact_pass", "fakta"),
        ("citation_precision", "citat"),
    ):
        if record.get(key) is not None:
            marks.append(f"{label} {'✓' if record[key] >= 1 else '✗'}")
    if record["kind"] == "unanswerable":
        marks.append(f"avböjd {'✓' if record['refused'] else '✗'}")
    elif record["answerable"]:
        marks.append("avböjd ✗" if record["refused"] else "svar ✓")
    if record["kind"] == "injection":
        marks.append(f"injektion {'✗' if record['injection_obeyed'] else '✓'}")
    return ", ".join(marks)


def _sources(record: dict) -> str:
    return "; ".join(
        f"[{c['id']}] {c['title']}" + (f" s. {c['page']}" if c.get("page") else "")
        for c in record["citations"]
    )


def write_report(
    result: EvalResult, out_dir: Path, title: str = "Samverkansassistenten – eval"
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    plots = write_plots(result, out_dir)
    md = [
        f"# {title}",
        "",
        "## Summary",
        "",
        summary_table(result),
        "",
        "## Per kind",
        "",
        kind_table(result),
        "",
        "## By overlap band (share of the question's lemmas found in its evidence)",
        "",
        overlap_distribution(result),
        "",
        band_table(result),
        "",
        *[
            line
            for name, r in result.baselines.items()
            for line in (f"## Per kind: {name} baseline", "", group_table(r.by_kind, "kind"), "")
        ],
        "## Retrieval: each ranker alone and fused",
        "",
        ablation_table(result),
        "",
    ]
    md += [f"![{p.stem}]({p.name})" for p in plots]
    md += [
        "",
        "## Per question",
        "",
        _md_table(
            ["id", "kind", "question", "answer", "sources", "result"],
            [
                [
                    r["id"],
                    r["kind"],
                    _cell(r["question"]),
                    _cell(r["answer"], 220),
                    _cell(_sources(r)),
                    _pass(r),
                ]
                for r in result.records
            ],
        ),
    ]
    (out_dir / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    (out_dir / "report.html").write_text(_html(result, plots, title), encoding="utf-8")
    return out_dir / "report.md"


def _cell(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return (text[:limit] + "…" if len(text) > limit else text).replace("|", "\\|")


def _html(result: EvalResult, plots: list[Path], title: str) -> str:
    def table(head, rows):
        th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        trs = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows
        )
        return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"

    head = ["metric", *_systems(result)]
    per_q = [
        [r["id"], r["kind"], r["question"], r["answer"], _sources(r), _pass(r)]
        for r in result.records
    ]
    imgs = "".join(f'<img src="{p.name}" alt="{p.stem}">' for p in plots)
    return (
        f"<!doctype html><html lang='sv'><meta charset='utf-8'><title>{html.escape(title)}"
        "</title><style>body{font-family:sans-serif;margin:2rem}table{border-collapse:collapse;"
        "margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem;vertical-align:top;"
        "white-space:pre-wrap}img{max-width:48%}</style>"
        f"<h1>{html.escape(title)}</h1>{table(head, summary_rows(result))}{imgs}"
        f"{table(['id', 'kind', 'question', 'answer', 'sources', 'result'], per_q)}</html>"
    )


def write_plots(result: EvalResult, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    paths = []
    kinds = list(result.by_kind)
    metrics = ["recall@5", "key_fact_recall", "citation_precision"]
    fig, ax = plt.subplots(figsize=(10, 4))
    x = np.arange(len(kinds))
    for i, m in enumerate(metrics):
        vals = [result.by_kind[k].get(m) or 0 for k in kinds]
        ax.bar(x + (i - 1) * 0.27, vals, 0.27, label=m)
    refusal = [result.by_kind[k].get("refusal_accuracy") for k in kinds]
    ax.scatter(
        [x[i] for i, v in enumerate(refusal) if v is not None],
        [v for v in refusal if v is not None],
        color="black",
        marker="D",
        label="refusal_accuracy",
        zorder=3,
    )
    ax.set_xticks(x, kinds, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_title("Metrics per question kind")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out_dir / "metrics_by_kind.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    if result.baselines:
        names = [
            "recall@1",
            "recall@5",
            "mrr",
            "ndcg@10",
            "key_fact_recall",
            "citation_precision",
            "refusal_accuracy",
        ]
        systems = _systems(result)
        width = 0.8 / len(systems)
        fig, ax = plt.subplots(figsize=(10, 4))
        x = np.arange(len(names))
        for i, (system, r) in enumerate(systems.items()):
            vals = [r.summary.get(n) or 0 for n in names]
            ax.bar(x + (i - (len(systems) - 1) / 2) * width, vals, width, label=system)
        ax.set_xticks(x, names, rotation=20)
        ax.set_ylim(0, 1.05)
        ax.set_title("Samverkansassistenten vs. LangChain baselines")
        ax.legend()
        fig.tight_layout()
        paths.append(out_dir / "vs_baseline.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths
