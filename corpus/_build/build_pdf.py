"""Build the action-plan PDF in corpus/ from its marked-up text.

The seed we received is the text extracted from the original PDF brochure. To
exercise the real PDF path (pypdf, page numbers) we rebuild a multi-page PDF
from it: one page per page of the original, headings restored to their reading
position and marked with '#'/'##', body lines kept exactly as extracted (line
breaks and end-of-line hyphenation included), so ingestion has to clean them.

Markup of handlingsplan.txt:
    === page ===   starts a new page
    # Heading      section heading (bold, 16 pt, PDF outline entry)
    ## Heading     subsection heading (bold, 12.5 pt, PDF outline entry)
    other lines    body text, 10 pt, one PDF line each (wrapped if too wide)

Run:  python corpus/_build/build_pdf.py   (writes corpus/handlingsplan-sammanhallen-vard-och-omsorg-2019-2022.pdf)
The output is byte-for-byte reproducible (reportlab invariant mode).
"""

from __future__ import annotations

import sys
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "handlingsplan.txt"
TARGET = HERE.parent / "handlingsplan-sammanhallen-vard-och-omsorg-2019-2022.pdf"
TITLE = "Handlingsplan för sammanhållen vård och omsorg 2019–2022"

MARGIN = 60
STYLES = {  # kind -> (font, size, leading, space before)
    "h1": ("Helvetica-Bold", 16, 20, 10),
    "h2": ("Helvetica-Bold", 12.5, 16, 8),
    "body": ("Helvetica", 10, 13, 0),
    "blank": ("Helvetica", 10, 7, 0),
}


def parse(text: str) -> list[list[tuple[str, str]]]:
    pages: list[list[tuple[str, str]]] = []
    for raw in text.splitlines():
        if raw.strip() == "=== page ===":
            pages.append([])
        elif raw.startswith("## "):
            pages[-1].append(("h2", raw[3:].strip()))
        elif raw.startswith("# "):
            pages[-1].append(("h1", raw[2:].strip()))
        elif not raw.strip():
            pages[-1].append(("blank", ""))
        else:
            pages[-1].append(("body", raw))
    return pages


def render(pages: list[list[tuple[str, str]]], target: Path) -> None:
    canvas = Canvas(str(target), pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(TITLE)
    canvas.setAuthor("Region Örebro län, Område välfärd och folkhälsa")
    canvas.setSubject("Antagen av Hälso- och sjukvårdsnämnden 4 december 2019")
    width, height = A4
    outline = 0
    for number, page in enumerate(pages, start=1):
        y = height - MARGIN
        for kind, text in page:
            font, size, leading, before = STYLES[kind]
            y -= before
            for line in simpleSplit(text, font, size, width - 2 * MARGIN) or [""]:
                if y < MARGIN + 20:  # overflow: continue on a new physical page
                    canvas.showPage()
                    y = height - MARGIN
                canvas.setFont(font, size)
                canvas.drawString(MARGIN, y, line)
                if kind in ("h1", "h2"):
                    key = f"h{outline}"
                    outline += 1
                    canvas.bookmarkHorizontal(key, MARGIN, y + size)
                    canvas.addOutlineEntry(line, key, level=0 if kind == "h1" else 1)
                y -= leading
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(width - MARGIN, MARGIN / 2, str(number))
        canvas.showPage()
    canvas.save()


def main() -> int:
    render(parse(SOURCE.read_text(encoding="utf-8")), TARGET)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
