"""The `samverkan` command line: ingest, ask, serve, eval, feedback export."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Samverkansassistenten: Swedish grounded answers over the corpus.",
)


def _settings():
    from ingest.settings import get_settings

    return get_settings()


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@app.command()
def ingest(
    rebuild: Annotated[bool, typer.Option(help="Start from an empty index.")] = False,
    corpus: Annotated[Path | None, typer.Option(help="Corpus folder (default: setting).")] = None,
) -> None:
    """Load, clean, chunk, embed and store the corpus (incremental, idempotent)."""
    from tqdm import tqdm

    from ingest.errors import EmbeddingMismatchError, IngestError
    from ingest.pipeline import run_ingest

    settings = _settings()
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": corpus})
    if not settings.corpus_dir.is_dir():
        _fail(f"corpus folder not found: {settings.corpus_dir}")

    bars: list[tqdm] = []

    def progress(total: int):
        bar = tqdm(total=total, desc="embedding", unit="chunk", file=sys.stderr)
        bars.append(bar)
        return bar.update

    try:
        report = run_ingest(settings, rebuild=rebuild, progress=progress)
    except (EmbeddingMismatchError, IngestError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail(
            "interrupted: chunks written so far are kept; run `samverkan ingest` again "
            "to complete the index"
        )
    finally:
        for bar in bars:
            bar.close()
    for name, reason in report.errors:
        typer.secho(f"skipped {name}: {reason}", fg=typer.colors.YELLOW, err=True)
    for doc in report.removed_documents:
        typer.echo(f"removed document {doc}")
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items() if k != "total")
    typer.echo(
        f"{report.documents} documents, {report.chunks_total} chunks in index: "
        f"{report.chunks_added} added, {report.chunks_removed} removed, {report.chunks_kept} kept"
        f"{f', {report.units_added} answer units embedded' if report.units_added else ''}"
        f"{f', {report.metadata_updated} metadata updated' if report.metadata_updated else ''}; "
        f"{len(report.errors)} skipped; {report.timings.get('total', 0):.1f}s ({timings})"
    )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Swedish (or English).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Answer one question from the index, with its sources."""
    from assistant.service import AssistantService, QuestionError
    from ingest.errors import EmbeddingMismatchError

    try:
        service = AssistantService.from_settings(_settings())
        if service.stats().chunks == 0:
            _fail("the index is empty: run `samverkan ingest` first")
        answer = service.ask(question)
    except (QuestionError, EmbeddingMismatchError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(answer.answer)
    if answer.citations:
        typer.echo("\nKällor:")
        for c in answer.citations:
            where = f", s. {c.page}" if c.page else (f" – {c.section}" if c.section else "")
            typer.echo(f"[{c.id}] {c.title}{where} ({c.date_label or c.date or 'odaterad'})")
            typer.echo(f"    ”{c.quote[:300]}”")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Serve the HTTP API and the web chat."""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Samverkansassistenten: http://{host}:{port}/")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def up(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Ingest the corpus (incrementally), then serve the chat: the one command to run it all."""
    ingest(rebuild=False, corpus=None)
    serve(host=host, port=port)


@app.command("feedback-export")
def feedback_export(
    out: Annotated[Path, typer.Option(help="Where to write the candidates (JSON Lines).")],
) -> None:
    """Turn negative feedback into eval-question candidates."""
    from assistant.feedback import FeedbackStore

    rows = FeedbackStore(_settings().feedback_db).eval_candidates()
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    typer.echo(f"{len(rows)} candidate questions written to {out}")


@app.command("eval")
def eval_(
    questions: Annotated[Path | None, typer.Option(help="Question file (JSON Lines).")] = None,
    split: Annotated[str, typer.Option(help="test, dev or all.")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write report.md/html + plots here.")] = None,
    baseline: Annotated[
        bool, typer.Option(help="Also run the naive and the EnsembleRetriever baselines.")
    ] = True,
) -> None:
    """Run the eval suite and print the metrics (ours beside both baselines)."""
    from tqdm import tqdm

    from assistant.service import AssistantService
    from evals.baseline import BASELINES
    from evals.dataset import DEFAULT_QUESTIONS, load_questions
    from evals.report import (
        ablation_table,
        band_table,
        kind_table,
        summary_table,
        write_report,
    )
    from evals.runner import run_eval

    path = questions or DEFAULT_QUESTIONS
    if not path.is_file():
        _fail(f"question file not found: {path}")
    try:
        items = load_questions(path, None if questions and split == "test" else split)
    except ValueError as exc:
        _fail(str(exc))
    if not items:
        _fail(f"no questions in {path} for split {split!r}")
    settings = _settings()
    service = AssistantService.from_settings(settings)
    if service.stats().chunks == 0:
        _fail("the index is empty: run `samverkan ingest` first")
    bases = (
        [cls(settings.corpus_dir, service.embedder) for cls in BASELINES.values()]
        if baseline
        else []
    )
    with tqdm(total=len(items), desc="eval", unit="q", file=sys.stderr) as bar:
        result = run_eval(service, items, bases, progress=lambda: bar.update(1))
    for b in bases:
        b.close()
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
    else:
        typer.echo(summary_table(result))
        typer.echo("")
        typer.echo(kind_table(result))
        typer.echo("")
        typer.echo(band_table(result))
        typer.echo("")
        typer.echo(ablation_table(result))
    if report:
        typer.echo(f"report: {write_report(result, report)}", err=as_json)


if __name__ == "__main__":
    app()
