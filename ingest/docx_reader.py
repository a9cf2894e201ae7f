"""Word (.docx) documents with python-docx: headings from paragraph styles, lists from
numbering, tables as "kolumn: värde" rows, in document order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError
from .tables import table_lines

# Word's built-in style names, English and Swedish ("Rubrik 1" is Heading 1 in Swedish Word).
_HEADING = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.IGNORECASE)
_TITLE = {"title", "rubrik"}
_LIST_STYLE = re.compile(r"\b(list|lista|punktlista|numrerad)", re.IGNORECASE)


@dataclass(frozen=True)
class WordContent:
    text: str
    title: str | None


def read_docx(path: Path) -> WordContent:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise IngestError(f"unreadable Word document ({exc.__class__.__name__}: {exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile and lxml errors on broken files
        raise IngestError(f"unreadable Word document ({exc.__class__.__name__}: {exc})") from exc
    out: list[str] = []
    title = (document.core_properties.title or "").strip() or None
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            out.extend(["", *_table(block), ""])
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        style = (block.style.name if block.style is not None else "").strip()
        level = _heading_level(style)
        if level:
            title = title or (text if level == 1 else None)
            out.extend(["", "#" * min(level, 3) + " " + text, ""])
        elif (depth := _list_depth(block, style)) is not None:
            out.append("  " * min(depth, 1) + "• " + text)
        else:
            out.extend(["", text, ""])
    return WordContent(re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip(), title)


def _heading_level(style: str) -> int | None:
    if style.lower() in _TITLE:
        return 1
    m = _HEADING.match(style)
    return int(m.group(1)) if m else None


def _list_depth(paragraph, style: str) -> int | None:
    """The list level of a numbered or bulleted paragraph, None for ordinary text."""
    ppr = paragraph._p.pPr
    num = ppr.numPr if ppr is not None else None
    if num is not None and num.numId is not None and num.numId.val != 0:
        return int(num.ilvl.val) if num.ilvl is not None else 0
    if _LIST_STYLE.search(style):
        m = re.search(r"(\d)$", style)  # "List Bullet 2"
        return int(m.group(1)) - 1 if m else 0
    return None


def _table(table) -> list[str]:
    # A merged cell comes back once per grid column it spans; table_lines writes it once.
    return table_lines([[cell.text for cell in row.cells] for row in table.rows])
