"""Tables as text a cell can be quoted from: one line per row, "kolumn: värde" pairs."""

from __future__ import annotations

import re


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def table_lines(rows: list[list[str]], header: list[str] | None = None) -> list[str]:
    """Bullet lines, one per data row: '• Kolumn: värde; Kolumn 2: värde 2'.

    Without an explicit header the first row is taken as the header when the table has more
    than one row. Empty cells are left out; a column without a name gives its value alone. A
    cell repeated across merged columns is written once."""
    rows = [[_cell(c) for c in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if header is None and len(rows) > 1:
        header, rows = rows[0], rows[1:]
    header = [_cell(h) for h in header or []]
    out = []
    for row in rows:
        pairs: list[str] = []
        for i, value in enumerate(row):
            if not value or (i and value == row[i - 1]):
                continue
            name = header[i] if i < len(header) else ""
            pairs.append(f"{name}: {value}" if name and name != value else value)
        if pairs:
            out.append("• " + "; ".join(pairs))
    return out
