"""Structure-aware chunking: headings become a path on every chunk, a list stays
with its lead-in, sections are cut into ~150-250 word chunks with a small overlap."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .clean import BULLET, clean
from .models import Chunk, DocumentMeta, LoadedDocument
from .text import split_sentences, word_count

TERMINAL = (".", "!", ":", ";", ",", "”", '"', ")")
# Hard limits, whatever the layout: no chunk (and so no answer unit) over MAX_CHUNK_CHARS,
# which stays inside the encoder's window (e5-small: 512 tokens, ~4 characters each in
# Swedish); a heading longer than HEADING_MAX_CHARS is text that lost its line breaks.
MAX_CHUNK_CHARS = 2000
HEADING_MAX_CHARS = 300


@dataclass
class Block:
    kind: str  # "heading" | "para" | "list"
    text: str
    page: int | None
    level: int = 1


def cap_line(line: str, max_chars: int) -> list[str]:
    """A line cut into pieces of at most `max_chars`, at the last space before the limit
    (or inside a word that is longer than the limit)."""
    pieces: list[str] = []
    while len(line) > max_chars:
        cut = line.rfind(" ", 0, max_chars + 1)
        if cut <= 0:
            cut = max_chars
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    if line:
        pieces.append(line)
    return pieces


def _capped(para: str, max_chars: int) -> str:
    if para.startswith("#"):
        return cap_line(para.replace("\n", " "), HEADING_MAX_CHARS)[0]
    if len(para) <= max_chars:
        return para
    return "\n".join(p for ln in para.split("\n") for p in cap_line(ln, max_chars))


def document_paragraphs(
    doc: LoadedDocument, max_chars: int = MAX_CHUNK_CHARS
) -> list[tuple[str, int | None]]:
    """Clean page by page; re-join a paragraph that the layout (column, page) cut in two.
    Lines longer than `max_chars` (text without line breaks) are cut into several."""
    out: list[tuple[str, int | None]] = []
    for page in doc.pages:
        for para in clean(page.text).split("\n\n"):
            if not para.strip():
                continue
            if (
                out
                and not out[-1][0].startswith("#")
                and not para.startswith(("#", "•"))
                and not out[-1][0].rstrip().endswith((".", "!", "?", ":"))
                and para[:1].islower()
            ):
                out[-1] = (out[-1][0] + " " + para, out[-1][1])  # also a bullet's last line
                continue
            out.append((para, page.number))
    return [(_capped(p, max_chars), page) for p, page in out]


def parse_blocks(paragraphs: list[tuple[str, int | None]]) -> list[Block]:
    marked = any(p.startswith("#") for p, _ in paragraphs)
    blocks: list[Block] = []
    i = 0
    while i < len(paragraphs):
        para, page = paragraphs[i]
        nxt = paragraphs[i + 1][0] if i + 1 < len(paragraphs) else None
        if para.startswith("#"):
            level = len(para) - len(para.lstrip("#"))
            blocks.append(Block("heading", para.lstrip("#").strip(), page, level))
        elif _is_name(para) and nxt is not None and _is_role(nxt):
            blocks.append(Block("para", f"{para} – {nxt}", page))  # a contact card
            i += 1
        elif not marked and nxt is not None and looks_like_heading(para):
            blocks.append(Block("heading", para, page, 1))
        elif all(BULLET.match(ln) for ln in para.split("\n")):
            if blocks and (blocks[-1].kind == "list" or _introduces(blocks[-1])):
                blocks[-1].kind = "list"  # a list stays with its lead-in (or its previous items)
                blocks[-1].text += "\n" + para
            else:
                blocks.append(Block("list", para, page))
        else:
            kind = "list" if any(BULLET.match(ln) for ln in para.split("\n")) else "para"
            blocks.append(Block(kind, para, page))
        i += 1
    return blocks


def _introduces(block: Block) -> bool:
    """A paragraph is a list's lead-in when it ends with a colon or is one sentence; a
    paragraph of several sentences before a list is prose of its own."""
    text = block.text.rstrip()
    return block.kind == "para" and (text.endswith(":") or len(split_sentences(text)) == 1)


def looks_like_heading(para: str) -> bool:
    if "\n" in para or BULLET.match(para):
        return False
    words = para.split()
    return (
        len(words) <= 12
        and para[:1].isupper()
        and not para.rstrip().endswith(TERMINAL)
        and not re.search(r"\d{3,}|@|\bkontakta\s*$", para, re.IGNORECASE)
    )


def _is_name(para: str) -> bool:
    words = para.split()
    return 2 <= len(words) <= 4 and "\n" not in para and all(w[:1].isupper() for w in words)


def _is_role(para: str) -> bool:
    return (
        "\n" not in para and len(para.split()) <= 9 and not para.rstrip().endswith((".", "!", "?"))
    )


@dataclass
class Section:
    heads: list[str]  # the heading path below the document title
    blocks: list[Block]
    page: int | None = None  # where its heading is


def chunk_document(
    doc: LoadedDocument,
    meta: DocumentMeta,
    target: int = 180,
    maximum: int = 260,
    overlap: int = 30,
    max_chars: int = MAX_CHUNK_CHARS,
) -> list[Chunk]:
    blocks = parse_blocks(document_paragraphs(doc, max_chars))
    sections: list[Section] = []
    open_headings: list[Block] = []  # the path: each heading under a shallower one
    for block in blocks:
        if block.kind == "heading":
            if block.text.rstrip("?").lower() == meta.title.rstrip("?").lower():
                continue  # the page's own title heading is already the root of the path
            while open_headings and open_headings[-1].level >= block.level:
                open_headings.pop()
            open_headings.append(block)
            sections.append(Section([h.text for h in open_headings], [], block.page))
        else:
            if not sections:
                sections.append(Section([], []))
            sections[-1].blocks.append(block)
    for i, section in enumerate(sections):
        _add_outline(section, _subsections(sections, i))
    chunks: list[Chunk] = []
    for section in sections:
        path = [meta.title, *section.heads]
        for packed, page in _pack(section.blocks, target, maximum, overlap, max_chars):
            for text in _hard_cap(packed, max_chars):
                chunks.append(make_chunk(meta, path, text, page, len(chunks)))
    return chunks


# An outline longer than this is a table of contents, not a list a question asks for.
MAX_OUTLINE = 12


def _subsections(sections: list[Section], i: int) -> list[Section]:
    """The sections directly under section i (the shallowest level in the run of deeper
    sections after it, so that a skipped heading level still counts) that hold text or
    subsections of their own: a heading the layout wrapped over two lines gives an empty one."""
    depth = len(sections[i].heads)
    run: list[Section] = []
    for later in sections[i + 1 :]:
        if len(later.heads) <= depth:
            break
        run.append(later)
    if not depth or not run:
        return []
    top = min(len(s.heads) for s in run)
    return [
        s
        for k, s in enumerate(run)
        if len(s.heads) == top and (s.blocks or (k + 1 < len(run) and len(run[k + 1].heads) > top))
    ]


def _add_outline(section: Section, children: list[Section]) -> None:
    """A section laid out as subsections ("Utmaningar i länet" with one subheading per
    challenge) ends with its subheadings as a list (each line a heading verbatim), so that
    the list the layout shows as headings can be found and quoted: headings are a chunk's
    path, not its text. The intro's last sentence leads the list (ingest.units takes it as
    the lead-in): the two become a list block of their own, the rest of the intro stays a
    paragraph. (Leading only with a sentence that announces the list, by a colon, "dessa",
    "följande" or a number, was tried: dev's policy AUC 0.829 -> 0.823.) Headings found
    without levels (web pages without marked headings) have no subsections; questions as
    subheadings (a FAQ) or more than MAX_OUTLINE of them make no outline."""
    titles = [c.heads[-1] for c in children]
    if (
        len(titles) < 2
        or len(titles) > MAX_OUTLINE
        or any(t.rstrip().endswith("?") for t in titles)
    ):
        return
    outline = "\n".join(f"• {title}" for title in titles)
    blocks = section.blocks
    last = blocks[-1] if blocks and blocks[-1].kind == "para" else None
    sentences = split_sentences(last.text) if last else []
    if last and sentences and last.text.endswith(sentences[-1]):
        rest = last.text[: -len(sentences[-1])].rstrip()
        lead = Block("list", f"{sentences[-1]}\n{outline}", last.page)
        blocks[-1:] = [Block("para", rest, last.page), lead] if rest else [lead]
    else:
        blocks.append(Block("list", outline, blocks[-1].page if blocks else section.page))


def _pack(blocks: list[Block], target: int, maximum: int, overlap: int, max_chars: int):
    """Greedy packing of whole blocks; an oversized block is cut at sentence or item borders."""
    parts: list[tuple[str, int | None]] = []
    for block in blocks:
        if word_count(block.text) <= maximum and len(block.text) <= max_chars:
            parts.append((block.text, block.page))
        else:
            pieces = _split_block(block, target, overlap, max_chars)
            parts.extend((piece, block.page) for piece in pieces)
    current: list[str] = []
    page: int | None = None
    for text, p in parts:
        size = sum(word_count(t) for t in current)
        chars = sum(len(t) + 2 for t in current)
        if current and (
            size >= target or size + word_count(text) > maximum or chars + len(text) > max_chars
        ):
            yield "\n\n".join(current), page
            current = []
        if not current:
            page = p
        current.append(text)
    if current:
        yield "\n\n".join(current), page


def _hard_cap(text: str, max_chars: int) -> list[str]:
    """The invariant, whatever packing did: pieces of at most `max_chars`, cut at line
    borders (and inside lines only when one line is longer)."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in (p for ln in text.split("\n") for p in cap_line(ln, max_chars)):
        if current and len(current) + 1 + len(line) > max_chars:
            pieces.append(current.strip("\n"))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current.strip():
        pieces.append(current.strip("\n"))
    return [p for p in pieces if p.strip()]


def _split_block(block: Block, target: int, overlap: int, max_chars: int) -> list[str]:
    lines = block.text.split("\n")
    if block.kind == "list":
        lead = [] if BULLET.match(lines[0]) else [lines.pop(0)]
        units, joiner = lines, "\n"
    else:
        lead, units, joiner = [], split_sentences(block.text), " "
    if lead and len(lead[0]) > max_chars // 2:  # a long lead-in is a piece of its own
        units, lead = [lead[0], *units], []
    room = max_chars - sum(len(x) + 1 for x in lead)
    pieces: list[str] = []
    current: list[str] = []
    for unit in units:
        if current and (
            word_count(joiner.join(current)) + word_count(unit) > target
            or len(joiner.join(current)) + len(unit) + 1 > room
        ):
            pieces.append("\n".join(lead + [joiner.join(current)]))
            carry: list[str] = []
            for prev in reversed(current):  # small overlap: the last sentence(s)
                joined = " ".join(carry + [prev])
                if word_count(joined) > overlap or len(joined) + len(unit) + 1 > room:
                    break
                carry.insert(0, prev)
            current = carry if block.kind != "list" else []
        current.append(unit)
    if current:
        pieces.append("\n".join(lead + [joiner.join(current)]))
    return pieces


def make_chunk(
    meta: DocumentMeta, path: list[str], text: str, page: int | None, position: int
) -> Chunk:
    content_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
    key = "\x00".join([meta.doc_id, " › ".join(path), str(page), text])
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return Chunk(
        chunk_id=f"{meta.doc_id}:{digest}",
        doc_id=meta.doc_id,
        text=text,
        heading_path=path,
        position=position,
        page=page,
        content_hash=content_hash[:16],
        meta=meta,
    )
