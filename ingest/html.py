"""A web page's main content and what the page says about itself, with trafilatura.

trafilatura drops navigation, headers, footers and side columns by the page's structure and
text density; its extracted tree is rendered here into the lightly marked text the chunker
reads: '#' heading lines (levels kept for the heading path), '• ' list items (nested with two
spaces), tables as "kolumn: värde" rows, blank lines between paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from .errors import IngestError
from .manifest import infer_dated_label
from .tables import table_lines


@dataclass(frozen=True)
class PageContent:
    text: str
    title: str | None = None
    date: str | None = None  # ISO
    date_label: str | None = None  # the page's own wording, "senast uppdaterad 21 december 2022"
    publisher: str | None = None
    canonical_url: str | None = None


@lru_cache(maxsize=1)
def _config():
    from trafilatura.settings import use_config

    config = use_config()
    # Below this many characters trafilatura swaps its structured result for a flat "baseline"
    # text (one paragraph, no headings or lists) on short pages; the structure is what we need.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    return config


def extract_page(html: str, url: str | None = None) -> PageContent:
    import trafilatura
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, SyntaxError) as exc:
        raise IngestError(f"unreadable HTML ({exc})") from exc
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        # Without it, lists outside a <main>/<article> container are taken for navigation and
        # dropped: on the seed pages rebuilt as plain HTML it lost 44 of 44 list items of one
        # page (bench.html_extraction); with it, pages with containers come out the same.
        favor_recall=True,
        include_tables=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        with_metadata=True,
        deduplicate=False,
        config=_config(),
    )
    if doc is None or doc.body is None:
        return PageContent(text="")
    text = render(doc.body)
    dated = infer_dated_label(_visible_text(tree))  # also in footers that extraction drops
    canonical = _absolute(doc.url, url)
    return PageContent(
        text=text,
        title=_single_h1(tree) or (doc.title or None),
        date=dated[0] if dated else (doc.date or None),
        date_label=dated[1] if dated else None,
        publisher=doc.sitename or (urlsplit(url).hostname if url else None),
        canonical_url=canonical,
    )


def render(body) -> str:
    out: list[str] = []
    for el in body:
        _block(el, out)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _block(el, out: list[str]) -> None:
    tag = el.tag
    if tag == "head":
        level = int(m.group(1)) if (m := re.fullmatch(r"h(\d)", el.get("rend", ""))) else 2
        if text := _inline(el):
            out.extend(["", "#" * min(level, 3) + " " + text, ""])
    elif tag == "list":
        out.append("")
        _list(el, out, 0)
        out.append("")
    elif tag == "table":
        out.extend(["", *_table(el), ""])
    elif tag in ("p", "quote", "code", "div", "ab"):
        nested = [c for c in el if c.tag in ("list", "table", "head", "p")]
        if nested:  # a container: its text before the first block, then the blocks
            if text := _inline_until(el, nested[0]):
                out.extend(["", text, ""])
            for child in nested:
                _block(child, out)
        elif text := _inline(el):
            out.extend(["", text, ""])
    elif tag != "graphic" and (text := _inline(el)):
        out.extend(["", text, ""])


def _list(el, out: list[str], depth: int) -> None:
    for item in el:
        if item.tag != "item":
            continue
        sub = [c for c in item if c.tag == "list"]
        text = _inline_until(item, sub[0]) if sub else _inline(item)
        if text:
            out.append("  " * min(depth, 1) + "• " + text)
        for s in sub:
            _list(s, out, depth + 1)


def _table(el) -> list[str]:
    rows, header = [], None
    for row in el.iter("row"):
        cells = [_inline(c) for c in row if c.tag == "cell"]
        if (
            header is None
            and not rows
            and all(c.get("role") == "head" for c in row if c.tag == "cell")
        ):
            header = cells
        else:
            rows.append(cells)
    return table_lines(rows, header)


def _inline(el) -> str:
    return " ".join(" ".join(el.itertext()).split())


def _inline_until(el, stop) -> str:
    """The text of `el` before its child `stop` (a list item's text without its sub-list)."""
    parts = [el.text or ""]
    for child in el:
        if child is stop:
            break
        parts.extend([*child.itertext(), child.tail or ""])
    return " ".join(" ".join(parts).split())


def _visible_text(tree) -> str:
    body = tree.find(".//body")
    root = body if body is not None else tree
    skip = {"script", "style", "noscript", "template"}
    return "\n".join(
        t.strip()
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag not in skip
        for t in (el.text, el.tail)
        if t and t.strip()
    )


def _single_h1(tree) -> str | None:
    h1 = tree.findall(".//h1")
    if len(h1) != 1:
        return None
    return " ".join(" ".join(h1[0].itertext()).split()) or None


def _absolute(candidate: str | None, base: str | None) -> str | None:
    if not candidate:
        return None
    absolute = urljoin(base or "", candidate.strip())
    return absolute if absolute.startswith(("http://", "https://")) else None
