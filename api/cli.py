"""The `samverkan` command line: ingest, add, documents, ask, serve, eval, feedback export."""

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


def _ingest_run(
    settings, rebuild: bool = False, allow_mass_delete: bool = False, removing: tuple = ()
):
    """Bring the index in line with the corpus and the library; print the summary."""
    from tqdm import tqdm

    from assistant.service import AssistantService
    from ingest.embeddings import build_embedder
    from ingest.errors import (
        EmbeddingMismatchError,
        IngestError,
        IngestLockedError,
        MassDeleteError,
    )
    from ingest.pipeline import run_ingest

    bars: list[tqdm] = []

    def progress(total: int):
        bar = tqdm(total=total, desc="embedding", unit="chunk", file=sys.stderr)
        bars.append(bar)
        return bar.update

    try:
        embedder = build_embedder(settings)
        report = run_ingest(
            settings,
            embedder=embedder,
            rebuild=rebuild,
            progress=progress,
            allow_mass_delete=allow_mass_delete,
            removing=removing,
        )
        # the BM25 index and glossary of the new index version, so that serving reads files
        index = AssistantService.prepare_index(settings, embedder)
        report.timed("derived", sum(index.seconds.values()))
    except (EmbeddingMismatchError, IngestError, IngestLockedError, MassDeleteError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail(
            "interrupted: every document is served in its old or its new version; run "
            "`samverkan ingest` again to complete the index"
        )
    finally:
        for bar in bars:
            bar.close()
    for name, reason in report.errors:
        typer.secho(f"failed {name}: {reason}", fg=typer.colors.YELLOW, err=True)
    for name, reason in report.warnings:
        typer.secho(f"warning {name}: {reason}", fg=typer.colors.YELLOW, err=True)
    for passage in report.flagged:
        typer.secho(
            f"flagged {passage.doc}: asks for credentials or to ignore instructions, "
            f"never quoted: {passage.text[:120]!r}",
            fg=typer.colors.YELLOW,
            err=True,
        )
    for doc in report.removed_documents:
        typer.echo(f"removed document {doc}")
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items() if k != "total")
    typer.echo(
        f"{report.documents} documents, {report.chunks_total} chunks in index: "
        f"{report.chunks_added} added, {report.chunks_removed} removed, {report.chunks_kept} kept"
        f"{f', {report.units_added} answer units embedded' if report.units_added else ''}"
        f"{f', {report.metadata_updated} metadata updated' if report.metadata_updated else ''}; "
        f"{len(report.errors)} failed; {report.timings.get('total', 0):.1f}s ({timings})"
    )
    return report


_STATES = {
    "new": "new",
    "changed": "changed",
    "unchanged": "unchanged (same content)",
    "not_modified": "not modified (304)",
    "gone": "gone",
    "removed": "removed",
    "error": "error",
}


def _fetching(fetch) -> list:
    """Run `fetch(on_page)` with a progress bar and one line per page; returns the outcomes."""
    from tqdm import tqdm

    with tqdm(desc="fetching", unit="page", file=sys.stderr) as bar:

        def on_page(outcome) -> None:
            bar.update(1)
            if outcome.state in ("error", "gone"):  # the message names the URL
                colour = typer.colors.RED if outcome.state == "error" else typer.colors.YELLOW
                bar.write(typer.style(f"{outcome.state}: {outcome.message}", fg=colour))
            else:
                bar.write(f"{_STATES[outcome.state]}: {outcome.url} -> {outcome.doc_id}")

        return fetch(on_page)


@app.command()
def ingest(
    rebuild: Annotated[bool, typer.Option(help="Start from an empty index.")] = False,
    corpus: Annotated[Path | None, typer.Option(help="Corpus folder (default: setting).")] = None,
    sources: Annotated[
        Path | None,
        typer.Option(help="YAML file with a `sources:` list of URLs, sitemaps or prefixes."),
    ] = None,
    refetch: Annotated[
        bool, typer.Option(help="Re-check every fetched web page (conditional requests).")
    ] = False,
    prune: Annotated[
        bool, typer.Option(help="Remove pages that now answer 404/410 (else kept, reported).")
    ] = False,
    offline: Annotated[
        bool, typer.Option(help="Fetch nothing; ingest the stored copies of web pages.")
    ] = False,
    allow_mass_delete: Annotated[
        bool, typer.Option(help="Allow a run that removes more than half of the index.")
    ] = False,
) -> None:
    """Load, clean, chunk, embed and store the corpus and the fetched/uploaded documents
    (incremental, idempotent). Web sources listed in the manifest or --sources are fetched
    first, conditionally: an unchanged page is not embedded again. Exits 1 on a fatal error,
    2 when some files failed (they are named; the rest is ingested)."""
    from ingest import catalog
    from ingest.errors import IngestError
    from ingest.sources import load_sources_file, manifest_sources

    settings = _settings()
    if corpus is not None:
        settings = settings.model_copy(update={"corpus_dir": corpus})
    if not settings.corpus_dir.is_dir():
        _fail(f"corpus folder not found: {settings.corpus_dir}")
    if offline and (sources or refetch):
        _fail("--offline cannot be combined with --sources or --refetch")
    try:
        specs = [] if offline else manifest_sources(settings.corpus_dir)
        if sources is not None:
            specs += load_sources_file(sources)
        if specs:
            _fetching(lambda on_page: catalog.fetch_sources(settings, specs, prune, on_page))
        if refetch:
            _fetching(lambda on_page: catalog.refetch(settings, None, prune, on_page))
    except IngestError as exc:
        _fail(str(exc))
    report = _ingest_run(settings, rebuild=rebuild, allow_mass_delete=allow_mass_delete)
    if report.errors:
        failed = ", ".join(report.failed_files)
        typer.secho(f"{len(report.errors)} file(s) failed: {failed}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2)


@app.command()
def add(
    sources: Annotated[
        list[str], typer.Argument(help="URLs of web pages, or paths of local files to add.")
    ],
    doc_id: Annotated[str | None, typer.Option("--id", help="Document id (one source).")] = None,
    title: Annotated[str | None, typer.Option(help="Title (overrides the page's own).")] = None,
    publisher: Annotated[str | None, typer.Option(help="Publisher (overrides).")] = None,
    kind: Annotated[str | None, typer.Option(help="Kind, e.g. överenskommelse.")] = None,
    date: Annotated[str | None, typer.Option(help="ISO date (overrides the page's own).")] = None,
    follow: Annotated[
        bool, typer.Option(help="Also add the pages linked from it under --prefix.")
    ] = False,
    sitemap: Annotated[
        bool, typer.Option(help="Each URL is a sitemap.xml: add the pages it lists.")
    ] = False,
    prefix: Annotated[
        str | None, typer.Option(help="Only pages under this URL prefix (--follow, --sitemap).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many pages per source.")] = None,
    prune: Annotated[bool, typer.Option(help="Remove pages that now answer 404/410.")] = False,
) -> None:
    """Add web pages (or local files) and ingest them. Adding a page again re-checks it
    with a conditional request: an unchanged page is not embedded again."""
    from ingest import catalog
    from ingest.errors import IngestError
    from ingest.sources import parse_sources

    settings = _settings()
    overrides = {
        k: v
        for k, v in {"title": title, "publisher": publisher, "kind": kind, "date": date}.items()
        if v
    }
    if doc_id and len(sources) > 1:
        _fail("--id names one document: give one source with it")
    failed = added = 0
    urls = [s for s in sources if "://" in s]
    for name in (s for s in sources if "://" not in s):
        path = Path(name)
        if not path.is_file():
            _fail(f"{name}: not a URL and no such file")
        try:
            record, changed = catalog.add_file(
                settings, path.name, path.read_bytes(), doc_id, overrides or None
            )
        except IngestError as exc:  # SourceError included: its text is the English message
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            failed += 1
            continue
        added += 1
        typer.echo(f"{'added' if changed else 'unchanged'}: {path} -> {record.doc_id}")
    if urls:
        entries = []
        for url in urls:
            entry = {"sitemap": url} if sitemap else {"url": url, "follow": follow}
            entry |= ({"prefix": prefix} if prefix else {}) | ({"limit": limit} if limit else {})
            entry |= overrides | ({"id": doc_id} if doc_id else {})  # checked by parse_sources
            entries.append(entry)
        try:
            specs = parse_sources(entries, "command line")
        except IngestError as exc:
            _fail(str(exc))
        outcomes = _fetching(lambda on_page: catalog.fetch_sources(settings, specs, prune, on_page))
        failed += sum(o.state == "error" for o in outcomes)
        if not added and all(o.state == "error" for o in outcomes):
            _fail("nothing could be fetched")
    _ingest_run(settings)
    if failed:
        raise typer.Exit(code=1)


documents_app = typer.Typer(no_args_is_help=True, help="The documents in the index.")
app.add_typer(documents_app, name="documents")


@documents_app.command("list")
def documents_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Every document: id, source, date, chunk count, last fetched."""
    from dataclasses import asdict

    from ingest.catalog import list_documents

    rows = list_documents(_settings())
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1))
        return
    if not rows:
        typer.echo("no documents (run `samverkan ingest` or `samverkan add URL`)")
        return
    for r in rows:
        fetched = f", fetched {r.last_fetched}" if r.last_fetched else ""
        checked = f", checked {r.last_checked}" if r.last_checked else ""
        state = "" if r.status == "indexed" else f" [{r.status}]"
        typer.echo(f"{r.doc_id}{state}\n    {r.title}")
        typer.echo(
            f"    {r.origin}: {r.source} | {r.date or 'undated'} | {r.chunks} chunks"
            f"{fetched}{checked}"
        )


@documents_app.command("remove")
def documents_remove(
    doc_id: Annotated[str, typer.Argument(help="The document id (see `documents list`).")],
) -> None:
    """Remove a fetched or uploaded document and its chunks."""
    from ingest.catalog import remove_document
    from ingest.errors import SourceError

    settings = _settings()
    try:
        removed = remove_document(settings, doc_id)
    except SourceError as exc:
        _fail(exc.message)
    typer.echo(f"removed {removed.doc_id} ({removed.source.removeprefix('upload:')})")
    _ingest_run(settings, removing=(removed.doc_id,))


@documents_app.command("refetch")
def documents_refetch(
    doc_ids: Annotated[list[str], typer.Argument(help="Ids of web documents to re-check.")],
    prune: Annotated[bool, typer.Option(help="Remove a page that now answers 404/410.")] = False,
) -> None:
    """Fetch web documents again (conditionally) and re-ingest what changed."""
    from ingest import catalog
    from ingest.errors import SourceError

    settings = _settings()
    try:
        outcomes = _fetching(lambda on_page: catalog.refetch(settings, doc_ids, prune, on_page))
    except SourceError as exc:
        _fail(exc.message)
    _ingest_run(settings)
    if any(o.state == "error" for o in outcomes):
        raise typer.Exit(code=1)


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
        from ingest.catalog import list_documents

        # the original page or file of each cited document (a web page's canonical URL)
        origin = {r.doc_id: r.url for r in list_documents(_settings()) if "://" in r.url}
        typer.echo("\nKällor:")
        for c in answer.citations:
            where = f", s. {c.page}" if c.page else (f" – {c.section}" if c.section else "")
            typer.echo(f"[{c.id}] {c.title}{where} ({c.date_label or c.date or 'odaterad'})")
            typer.echo(f"    ”{c.quote[:300]}”")
            if c.doc_id in origin:
                typer.echo(f"    {origin[c.doc_id]}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Serve the HTTP API and the web chat."""
    import uvicorn

    from api.app import UVICORN_OPTIONS, create_app

    settings = _settings()
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Samverkansassistenten: http://{host}:{port}/")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info", **UVICORN_OPTIONS)


@app.command()
def up(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Ingest the corpus (incrementally), then serve the chat: the one command to run it all.
    Files that fail are named and the rest is served."""
    try:
        ingest(
            rebuild=False,
            corpus=None,
            sources=None,
            refetch=False,
            prune=False,
            offline=False,
            allow_mass_delete=False,
        )
    except typer.Exit as exc:
        if exc.exit_code != 2:
            raise
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
