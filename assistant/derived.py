"""What the service derives from the chunks — the BM25 index with its vocabulary, and the
glossary — kept in files beside the chunk snapshot of the index version they were built from,
so a service or a new replica starts by reading files.

Each part carries a fingerprint of the code that made it (for BM25: the term analysis, probed
on a fixed text, and the tokeniser's source); a part whose fingerprint differs is rebuilt
from the chunk snapshot and saved again. A snapshot missing, or not of the store as it is
(another index counter or chunk count: written by something other than this folder's
ingestion, e.g. a replica's over a shared Chroma server), is rewritten from the store first."""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from ingest.settings import Settings
from ingest.snapshot import ChunkTable, derived_root, read_stamp, write_snapshot
from ingest.store import ChunkStore
from ingest.text import tokens

from . import glossary as glossary_module
from . import retrieval
from .glossary import Term, extract_terms
from .language import expand, expanded_terms, terms_of_tokens
from .questions import YEAR, YEAR_SPAN, years_covered
from .retrieval import BM25Index

log = logging.getLogger(__name__)
T = TypeVar("T")

# Word forms, compounds, hyphens, slashes, abbreviations, stop words, digits and English: a
# change in how any of them is analysed changes the probe's terms.
PROBE = (
    "Socialchefsnätverket och MAS/MAR-nätverket hölls i Örebro den 4 december 2019; "
    "kommunerna samverkar om e-hälsa, t.ex. SIP (samordnad individuell plan) för vårdplatser "
    "och instanser. Who leads the network? Vilka är med i omställningen till nära vård?"
)


def _source(obj) -> str:
    return inspect.getsource(sys.modules[obj.__module__])


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def _versions(*packages: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in packages:
        try:
            out.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name}=none")
    return ",".join(out)


def bm25_fingerprint() -> str:
    toks = tokens(PROBE)
    return _digest(
        "bm25",
        _versions("bm25s", "simplemma", "hunspell-sv", "PyStemmer"),
        json.dumps(expand(terms_of_tokens(toks), toks)),
        json.dumps(expanded_terms(PROBE)),
        _source(terms_of_tokens),  # all of language.py (proper_names too)
        _source(tokens),
        inspect.getsource(retrieval.BM25Index),
        inspect.getsource(retrieval._tokens),
        inspect.getsource(years_covered),
        YEAR.pattern,
        YEAR_SPAN.pattern,
    )


def glossary_fingerprint() -> str:
    return _digest("glossary", inspect.getsource(glossary_module))


@dataclass
class DerivedIndex:
    """The chunk list, BM25 index and glossary of one index version."""

    version: str
    chunks: ChunkTable
    bm25: BM25Index
    glossary: list[Term]
    seconds: dict[str, float] = field(default_factory=dict)  # load or build time per part
    rebuilt: list[str] = field(default_factory=list)  # parts built rather than read


def load_or_build(settings: Settings, store: ChunkStore) -> DerivedIndex:
    """Read the current index version's files, building (and saving) whatever is missing,
    stale or made by other code."""
    seconds: dict[str, float] = {}
    rebuilt: list[str] = []
    root = derived_root(settings)
    t0 = time.perf_counter()
    stamp = read_stamp(root)
    counter = store.index_version()  # read first: a change after it is seen by the next check
    count = store.count()
    if stamp is None or not stamp.matches(count, counter):
        log.warning(
            "no chunk snapshot of the index (version %d, %d chunks; found %s): "
            "writing one from the store",
            counter,
            count,
            stamp and (stamp.store_version, stamp.chunks),
        )
        stamp = write_snapshot(settings, store.all_chunks(), counter)
        rebuilt.append("chunks")
    folder = root / stamp.version
    table = ChunkTable.load(folder / "chunks")
    seconds["chunks"] = time.perf_counter() - t0

    def part(name: str, fingerprint: str, build: Callable[[], T], save, load) -> T:
        t0 = time.perf_counter()
        value = _read_part(folder / name, fingerprint, load)
        if value is None:
            value = build()
            _write_part(folder / name, fingerprint, value, save)
            rebuilt.append(name)
        seconds[name] = time.perf_counter() - t0
        return value

    bm25 = part(
        "bm25",
        bm25_fingerprint(),
        lambda: BM25Index(table),
        lambda value, path: value.save(path),
        lambda path: BM25Index.load(path, table),
    )
    glossary = part(
        "glossary",
        glossary_fingerprint(),
        lambda: extract_terms(table),
        lambda value, path: (path / "terms.json").write_text(
            json.dumps([asdict(t) for t in value], ensure_ascii=False), "utf-8"
        ),
        lambda path: [Term(**t) for t in json.loads((path / "terms.json").read_text("utf-8"))],
    )
    if rebuilt:
        log.info("index %s: built %s", stamp.version, ", ".join(rebuilt))
    return DerivedIndex(stamp.version, table, bm25, glossary, seconds, rebuilt)


def _read_part(path: Path, fingerprint: str, load: Callable[[Path], T]) -> T | None:
    try:
        if (path / "fingerprint").read_text() != fingerprint:
            return None
        return load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.debug("rebuilding %s: %s", path.name, exc)
        return None


def _write_part(path: Path, fingerprint: str, value, save: Callable[[object, Path], None]) -> None:
    """Write into a temporary folder, then rename: readers see the old part or the whole new
    one. If another process got there first, its part stays (it is built from the same
    snapshot with the same code). A read-only data folder only costs the next start."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir(parents=True)
        save(value, tmp)
        (tmp / "fingerprint").write_text(fingerprint)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
        tmp.rename(path)
    except OSError as exc:
        log.warning("could not save %s: %s", path.name, exc)
        shutil.rmtree(tmp, ignore_errors=True)
