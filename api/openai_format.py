"""Answers as CommonMark for OpenAI-compatible clients (Open WebUI, LibreChat, the `openai`
client): escaped answer text, a numbered "Källor" list of absolute Markdown links, quotes cut
at word boundaries, and approximate token counts for `usage`."""

from __future__ import annotations

import math
import re
from urllib.parse import quote as url_quote

from assistant.compose import distinct_sources
from assistant.models import Answer, Citation

QUOTE_CHARS = 240
SOURCE_TEXT_CHARS = 160
_SPECIAL = set("\\`*_[]<>&|~")
_ORDERED_START = re.compile(r"(\d+)([.)])")
_BULLETS = ("•", "◦", "▪", "–")
_MARKER = re.compile(r"\[\d+(?:,\s*\d+)*\]")


def approx_tokens(text: str) -> int:
    """About four characters per token: the usual rule of thumb for OpenAI-style BPE
    tokenisers (Swedish runs slightly above it). The assistant has no generating model of its
    own in extractive mode, so `usage` is this estimate, never a billing figure."""
    return math.ceil(len(text) / 4) if text else 0


def clip_words(text: str, limit: int = QUOTE_CHARS) -> str:
    """At most `limit` characters, cut at a word boundary, with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else text[:limit]
    return cut.rstrip(" ,;:–-") + "…"


def escape(text: str) -> str:
    """Backslash-escape everything CommonMark (and GFM) could read as markup inside a line."""
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)


class MarkdownStream:
    """Turns the assistant's plain text into CommonMark piece by piece, so streamed and
    non-streamed answers are formatted by the same code: text is escaped, "• " lines become
    list items, and every other line break becomes a paragraph break (a strict renderer
    would otherwise run the lines into one paragraph). Only the first few characters of each
    line are held back, until it is clear whether the line starts a list."""

    def __init__(self) -> None:
        self._head = ""  # undecided start of the current line
        self._at_line_start = True
        self._prev: str | None = None  # kind of the previous non-empty line
        self._line: str | None = None  # kind of the current line once decided
        self._blank = True  # the output ends with a blank line (or is empty)
        self._bracket = ""  # a "[" and what followed it, until it is known to be a marker

    def feed(self, text: str) -> str:
        out: list[str] = []
        for ch in text:
            if ch == "\n":
                if self._at_line_start and self._head.strip():
                    out.append(self._decide())
                out.append(self._close_bracket())
                self._end_line(out)
            elif self._at_line_start:
                self._head += ch
                if self._decided():
                    out.append(self._decide())
            else:
                out.append(self._inline(ch))
        return "".join(out)

    def flush(self) -> str:
        head = self._decide() if self._at_line_start and self._head.strip() else ""
        return head + self._close_bracket()

    def _inline(self, ch: str) -> str:
        """Escape a character; citation markers like "[2]" or "[1, 3]" stay as they are
        (without a link definition CommonMark shows them literally), so they are held back
        until it is clear whether the bracket is one."""
        if self._bracket:
            self._bracket += ch
            if ch == "]":
                return self._close_bracket()
            if ch.isdigit() or ch in ", ":
                return ""
            return self._close_bracket()
        if ch == "[":
            self._bracket = ch
            return ""
        return escape(ch)

    def _close_bracket(self) -> str:
        text, self._bracket = self._bracket, ""
        return text if _MARKER.fullmatch(text) else escape(text)

    def _end_line(self, out: list[str]) -> None:
        out.append("\n")
        self._blank = self._line is None
        if self._line is not None:
            self._prev = self._line
        self._line = None
        self._head = ""
        self._at_line_start = True

    def _decided(self) -> bool:
        head = self._head.lstrip()
        if not head:
            return False
        if head[0] in _BULLETS:
            return len(head) >= 2
        if head[0].isdigit():
            return not head[-1].isdigit() or len(head) > 12
        return True

    def _decide(self) -> str:
        head = self._head.lstrip()
        self._at_line_start = False
        bullet = head[0] in _BULLETS and (len(head) == 1 or head[1] == " ")
        kind = "bullet" if bullet else "text"
        # A blank line before each paragraph, and between a paragraph and a list; list items
        # follow each other directly (a tight list).
        tight = kind == "bullet" == self._prev
        lead = "\n" if self._prev is not None and not tight and not self._blank else ""
        self._line = kind
        if bullet:
            return lead + "- " + escape(head[1:].lstrip())
        if head[0] in "#>-+=" or head[0] == "*":
            return lead + "\\" + escape(head)
        ordered = _ORDERED_START.match(head)
        if ordered:  # "2019. Planen antogs" must not become an ordered list
            return lead + ordered.group(1) + "\\" + ordered.group(2) + escape(head[ordered.end() :])
        return lead + escape(head)


def to_markdown(text: str) -> str:
    stream = MarkdownStream()
    return (stream.feed(text) + stream.flush()).strip()


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def citation_link(c: Citation, base_url: str) -> str:
    """The app's document view at the cited passage, with the quote to highlight."""
    query = f"?citat={url_quote(clip_words(c.quote, 300))}"
    if c.page:
        query += f"&sida={c.page}"
    return absolute(base_url, f"/dokument/{url_quote(c.doc_id)}{query}#{url_quote(c.chunk_id)}")


def _where(page: int | None, section: str | None) -> str:
    return f", s. {page}" if page else (f", {section}" if section else "")


def _link(label: str, url: str) -> str:
    return f"[{escape(label)}](<{url}>)"


def sources_markdown(answer: Answer, base_url: str, web_urls: dict[str, str]) -> str:
    """The numbered "Källor" list (or, for a refusal, the closest passages as links)."""
    if answer.citations:
        lines = ["**Källor**", ""]
        for c in answer.citations:
            item = f"{c.id}. " + _link(
                c.title + _where(c.page, c.section), citation_link(c, base_url)
            )
            if c.date_label:
                item += f" ({escape(c.date_label)})"
            if c.doc_id in web_urls:
                item += " – " + _link("originalsidan", web_urls[c.doc_id])
            item += f": ”{escape(clip_words(c.quote.lstrip('•◦▪ ')))}”"
            lines.append(item)
        return "\n".join(lines)
    closest = distinct_sources(answer.sources, 3)
    if not closest:
        return ""
    lines = ["**Närmaste källor**", ""]
    for n, hit in enumerate(closest, start=1):
        ch = hit.chunk
        url = absolute(base_url, f"/dokument/{url_quote(ch.doc_id)}#{url_quote(ch.chunk_id)}")
        item = f"{n}. " + _link(ch.meta.title + _where(ch.page, ch.section), url)
        item += f": {escape(clip_words(ch.text, SOURCE_TEXT_CHARS))}"
        lines.append(item)
    return "\n".join(lines)


def refusal_body(answer: Answer) -> str:
    """The refusal without its plain-text list of titles: the Markdown list replaces it."""
    lines = answer.answer.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Närmast i källorna finns"):
            return "\n".join(lines[:i]).rstrip()
    return answer.answer


_SOURCES_HEADING = re.compile(r"\n\s*\*\*(?:Källor|Närmaste källor)\*\*\s*\n", re.S)
_ESCAPED = re.compile(r"\\([\\`*_\[\]<>&|~#.)+=-])")


def plain_history(content: str) -> str:
    """An earlier answer as a client sends it back: without its sources list and escapes, so
    follow-up questions are resolved against the answer text alone."""
    match = _SOURCES_HEADING.search(content)
    text = content[: match.start()] if match else content
    return _ESCAPED.sub(r"\1", text).strip()
