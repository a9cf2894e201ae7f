"""Read PDF, HTML, Word, Markdown and text files into lightly marked page text."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .errors import IngestError
from .manifest import infer_dated_label
from .models import LoadedDocument, Page

TEXT_SUFFIXES = {".txt"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}
SUPPORTED = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES


def load(path: Path, url: str | None = None) -> LoadedDocument:
    """`url`: where a fetched page came from (resolves its relative canonical link)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(f"unsupported file type {suffix or '(none)'}")
    if path.stat().st_size == 0:
        raise IngestError("file is empty")
    if suffix in PDF_SUFFIXES:
        doc = _load_pdf(path)
    elif suffix in HTML_SUFFIXES:
        doc = _load_html(path, url)
    elif suffix in DOCX_SUFFIXES:
        doc = _load_docx(path)
    elif suffix in MARKDOWN_SUFFIXES:
        from .markdown import render_markdown

        doc = _dated(LoadedDocument(path, [Page(None, render_markdown(_read_utf8(path)))]))
    else:
        doc = LoadedDocument(path, [Page(None, _read_utf8(path))])
    if not any(p.text.strip() for p in doc.pages):
        raise IngestError("no text found (empty or scanned document?)")
    return doc


def _read_utf8(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8") from exc


# --- PDF -------------------------------------------------------------------


def _load_pdf(path: Path) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("PDF is encrypted with a password")
        pages = [Page(i, _pdf_page_text(page)) for i, page in enumerate(reader.pages, start=1)]
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise IngestError(f"unreadable PDF ({exc.__class__.__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises assorted errors on broken files
        if "crypt" in str(exc).lower():
            raise IngestError("PDF is encrypted and cannot be read") from exc
        raise IngestError(f"unreadable PDF ({exc.__class__.__name__}: {exc})") from exc
    return LoadedDocument(path, pages, inferred_title=str(title) if title else None)


def _pdf_page_text(page) -> str:
    """Rebuild lines with their font size and position, so that headings (larger
    type) and paragraph breaks (larger vertical gaps) survive extraction."""
    lines: list[list] = []  # [text, size, y]

    def visit(text, cm, tm, font_dict, font_size):
        size = float(font_size) * abs(float(tm[3]) or 1.0) * abs(float(cm[3]) or 1.0)
        y = float(tm[5]) * float(cm[3]) + float(cm[5])
        if lines and not lines[-1][0].endswith("\n") and abs(lines[-1][2] - y) < 1.0:
            lines[-1][0] += text
            return
        lines.append([text, size, y])

    page.extract_text(visitor_text=visit)
    rows = [(_fix_glyphs(t.strip()), s, y) for t, s, y in lines if t.strip()]
    if not rows:
        return ""
    body = Counter(round(s, 1) for _, s, _ in rows).most_common(1)[0][0]
    gaps = [a[2] - b[2] for a, b in zip(rows, rows[1:], strict=False) if 0 < a[2] - b[2] < 3 * body]
    leading = Counter(round(g, 1) for g in gaps).most_common(1)[0][0] if gaps else body * 1.3
    out: list[str] = []
    prev_y = None
    for text, size, y in rows:
        if re.fullmatch(r"\d{1,3}", text):  # page number
            continue
        if prev_y is not None and prev_y - y > leading * 1.35:
            out.append("")
        if size >= body * 1.5:
            out.extend(["", f"# {text}", ""])
        elif size >= body * 1.15:
            out.extend(["", f"## {text}", ""])
        else:
            out.append(text)
        prev_y = y
    return "\n".join(out).strip()


# Bullet glyphs that PDF text extraction commonly returns (Symbol/Wingdings fonts,
# unmapped WinAnsi codes) are normalised to "•".
_BULLET_GLYPHS = re.compile("^[\x7f\x95\uf0b7\uf0a7\uf076\uf0d8\u25aa\u25cf\u2023]\\s*")


def _fix_glyphs(text: str) -> str:
    return _BULLET_GLYPHS.sub("• ", text)


# --- HTML ------------------------------------------------------------------


def _load_html(path: Path, url: str | None = None) -> LoadedDocument:
    """Main content by trafilatura; the structural fallback below only when it finds none
    (very short pages)."""
    from .html import extract_page

    html = read_html(path)
    page = extract_page(html, url)
    if not page.text.strip():
        fallback = load_html_structural(path, html)
        page_text, title = fallback.pages[0].text, fallback.inferred_title
    else:
        page_text, title = page.text, page.title
    return LoadedDocument(
        path,
        [Page(None, page_text)],
        inferred_title=title or page.title,
        inferred_date=page.date,
        inferred_date_label=page.date_label,
        inferred_publisher=page.publisher,
        inferred_url=page.canonical_url,
    )


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


def read_html(path: Path) -> str:
    """UTF-8, or the charset the page declares in a <meta> tag."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        m = _META_CHARSET.search(raw[:4096])
        if m:
            try:
                return raw.decode(m.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        raise IngestError(
            f"not valid UTF-8 (byte {exc.start}) and no usable <meta charset>; "
            "save the page as UTF-8"
        ) from exc


# --- Word ------------------------------------------------------------------


def _load_docx(path: Path) -> LoadedDocument:
    from .docx_reader import read_docx

    content = read_docx(path)
    return _dated(LoadedDocument(path, [Page(None, content.text)], inferred_title=content.title))


def _dated(doc: LoadedDocument) -> LoadedDocument:
    """The date a document gives itself near its start ("Antagen av … 4 december 2019")."""
    dated = infer_dated_label("\n".join(p.text for p in doc.pages)[:2000], document=True)
    if dated:
        doc.inferred_date, doc.inferred_date_label = dated
    return doc


# --- HTML without trafilatura (fallback) -------------------------------------

_DROP_TAGS = ["script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg"]


def load_html_structural(path: Path, html: str | None = None) -> LoadedDocument:
    """The page's text by its structure alone (BeautifulSoup: chrome tags dropped, then main,
    article or body): the fallback when trafilatura finds no main text, and the HTML loader
    before it (bench.html_extraction compares the two)."""
    from bs4 import BeautifulSoup

    html = read_html(path) if html is None else html
    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    out: list[str] = []
    for el in root.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "dt", "dd", "pre"]):
        if el.find_parent(["li", "p", "td"]) is not None and el.name not in ("li",):
            continue
        text = _own_text(el) if el.name == "li" else el.get_text(" ", strip=True)
        if not text:
            continue
        if el.name in ("h1", "h2", "h3", "h4"):
            out.extend(["", "#" * min(int(el.name[1]), 2) + " " + text, ""])
        elif el.name == "li":
            depth = len(el.find_parents(["ul", "ol"])) - 1
            out.append("  " * depth + "• " + text)
        else:
            out.extend(["", text, ""])
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    h1 = root.find("h1")
    return LoadedDocument(
        path, [Page(None, text)], inferred_title=(h1.get_text(" ", strip=True) if h1 else title)
    )


def _own_text(li) -> str:
    """A list item's text without its nested lists (those become items of their own)."""
    parts = [
        c.get_text(" ", strip=True) if hasattr(c, "get_text") else str(c).strip()
        for c in li.children
        if getattr(c, "name", None) not in ("ul", "ol")
    ]
    return " ".join(p for p in parts if p)
