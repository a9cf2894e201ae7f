"""The corpus manifest: one entry per document with its metadata."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from .errors import IngestError
from .models import DocumentMeta
from .text import SV_MONTHS

MANIFEST = "manifest.json"


def load_manifest(corpus_dir: Path) -> dict[str, DocumentMeta]:
    """file name -> metadata. A broken manifest is an error: metadata must not silently vanish."""
    path = corpus_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["documents"]
        fields = set(DocumentMeta.__dataclass_fields__) - {"doc_id"}
        return {
            e["file"]: DocumentMeta(doc_id=e["id"], **{k: v for k, v in e.items() if k in fields})
            for e in entries
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise IngestError(f"{path}: invalid manifest ({exc})") from exc


def load_starters(corpus_dir: Path) -> list[str]:
    """The manifest's starter questions for newcomers (corpus-specific, so they live with the
    corpus); none without a manifest."""
    path = corpus_dir / MANIFEST
    if not path.exists():
        return []
    try:
        starters = json.loads(path.read_text(encoding="utf-8")).get("starters", [])
    except ValueError as exc:
        raise IngestError(f"{path}: invalid manifest ({exc})") from exc
    if not isinstance(starters, list) or not all(isinstance(q, str) for q in starters):
        raise IngestError(f"{path}: 'starters' must be a list of questions")
    return list(starters)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "dokument"


_DATE = re.compile(
    r"(?:senast uppdaterad|uppdaterad|publicerad)[:\s]+(?:den\s+)?(\d{1,2})\s+("
    + "|".join(SV_MONTHS)
    + r")\s+(\d{4})",
    re.IGNORECASE,
)


def infer_date(raw_text: str) -> str | None:
    """'Senast uppdaterad: den 17 april 2024' -> '2024-04-17'."""
    m = _DATE.search(raw_text)
    if not m:
        return None
    day, month, year = int(m.group(1)), SV_MONTHS.index(m.group(2).lower()) + 1, int(m.group(3))
    return f"{year:04d}-{month:02d}-{day:02d}"


# Words with which a page dates itself, and the wider set a document's opening uses.
PAGE_DATE_WORDS = ("senast uppdaterad", "uppdaterad", "publicerad", "granskad")
DOC_DATE_WORDS = (
    *PAGE_DATE_WORDS,
    *("antagen", "antogs", "beslutad", "beslutades", "fastställd", "fastställdes"),
)


def _dated(words: tuple[str, ...]) -> re.Pattern:
    return re.compile(
        r"\b(" + "|".join(words) + r")"
        r"(?:\s+(den|av [^:\d\n]{3,60}?))?[:\s]+(?:den\s+)?"
        r"(?:(\d{1,2})\s+(" + "|".join(SV_MONTHS) + r")\s+(\d{4})|(\d{4})-(\d{2})-(\d{2}))\b",
        re.IGNORECASE,
    )


_UPDATED, _PAGE_DATED, _DOC_DATED = (
    _dated(PAGE_DATE_WORDS[:1]),
    _dated(PAGE_DATE_WORDS),
    _dated(DOC_DATE_WORDS),
)


def infer_dated_label(raw_text: str, document: bool = False) -> tuple[str, str] | None:
    """The first date a text gives itself, as (ISO date, Swedish wording):
    'Senast uppdaterad: 21 december 2022' -> ('2022-12-21', 'senast uppdaterad 21 december 2022');
    'Publicerad 2024-04-17' -> ('2024-04-17', 'publicerad 17 april 2024'). `document`: also
    adoption wording ('antogs av nämnden den 4 december 2019'); give only the document's
    opening then, since later text dates other things."""
    # "Senast uppdaterad" wins over a "Publicerad …" of some teaser listed on the page.
    m = _UPDATED.search(raw_text) or (_DOC_DATED if document else _PAGE_DATED).search(raw_text)
    if not m:
        return None
    word = m.group(1).lower()
    if m.group(2) and m.group(2).lower().startswith("av "):
        word += " " + " ".join(m.group(2).split())  # "antagen av Hälso- och sjukvårdsnämnden"
    if m.group(3):
        day, month, year = int(m.group(3)), SV_MONTHS.index(m.group(4).lower()) + 1, int(m.group(5))
    else:
        year, month, day = int(m.group(6)), int(m.group(7)), int(m.group(8))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
    return f"{year:04d}-{month:02d}-{day:02d}", f"{word} {day} {SV_MONTHS[month - 1]} {year}"
