"""Markdown with markdown-it-py: headings, paragraphs, nested lists and tables (as
"kolumn: värde" rows) rendered into the lightly marked text the chunker reads; links keep
their text, emphasis markers and raw HTML go."""

from __future__ import annotations

import re

from .tables import table_lines


def render_markdown(source: str) -> str:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    out: list[str] = []
    depth = -1  # list nesting
    item_open: list[bool] = []  # per list level: has the current item written its line?
    table: list[list[str]] | None = None
    header: list[str] | None = None
    heading: int | None = None
    for tok in tokens:
        match tok.type:
            case "heading_open":
                heading = int(tok.tag[1])
            case "heading_close":
                heading = None
            case "bullet_list_open" | "ordered_list_open":
                depth += 1
                item_open.append(False)
                if depth == 0:
                    out.append("")
            case "bullet_list_close" | "ordered_list_close":
                depth -= 1
                item_open.pop()
                if depth < 0:
                    out.append("")
            case "list_item_open":
                item_open[-1] = False
            case "table_open":
                table, header = [], None
            case "tr_open" if table is not None:
                table.append([])
            case "table_close" if table is not None:
                if table and header is None:
                    header = table.pop(0)
                out.extend(["", *table_lines(table, header), ""])
                table = None
            case "thead_close" if table:
                header = table.pop()
            case "inline":
                text = _inline(tok)
                if table is not None:
                    if table:
                        table[-1].append(text)
                elif heading:
                    out.extend(["", "#" * min(heading, 3) + " " + text, ""])
                elif depth >= 0 and not item_open[-1]:
                    out.append("  " * min(depth, 1) + "• " + text)
                    item_open[-1] = True
                elif text:
                    out.extend(["", text, ""])
            case "fence" | "code_block":
                out.extend(["", tok.content.strip(), ""])
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _inline(tok) -> str:
    parts = []
    for child in tok.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())
