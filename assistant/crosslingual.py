"""English question words to the corpus's Swedish words of the same meaning: each word's
nearest corpus word in the multilingual embedder's space, kept when its cosine reaches a
threshold fitted on dev (evals.fit, `word_translation` in assistant/fitted.json).

Nearest neighbours in a shared multilingual space translate words without a dictionary
(Conneau et al. 2018, "Word translation without parallel data"): multilingual-e5 puts
"municipality" at 0.905 from "kommun", "continuity" at 0.937 from "kontinuitet" and
"agreement" at 0.923 from "överenskommelse", while the nearest corpus word to "care" or
"chair" is wrong and lower (0.894 "karin", 0.882 "chef"); the fitted cosine decides which
count (0.94 on 2026-12-01: "contact" -> "kontakt" 0.966 does, "network" -> "nätverk" 0.933
does not). No English–Swedish dictionary installs here (Debian's FreeDict eng-swe has no
"municipality"). Without the Swedish words an English question matches the sources by its
names alone."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .language import ENGLISH_STOPWORDS, is_content

log = logging.getLogger(__name__)

MIN_LETTERS = 3  # shorter words are function words or abbreviations in either language
_CACHE = 10_000  # translated words kept (a bounded cache of a long-running process)
_BATCH = 256  # corpus words embedded in one call (bounded memory for a large corpus)
_VOCABULARIES = 4  # corpus vocabularies whose vectors are kept (an index and its successor)
_MATRICES: dict[tuple[str, int], np.ndarray] = {}
_LOCK = threading.Lock()


class WordTranslator:
    """`embed` embeds texts as queries, several in one call (the same side for English and
    Swedish words, so that a word and its translation meet; one call for a question's words
    costs about a quarter of one call per word); `model_id` names the embedder. The corpus
    words are embedded on first use or by `warm` (a few seconds on 2 cores), not when a
    service is built: the evals and tests build many."""

    def __init__(
        self,
        vocabulary: Iterable[str],
        embed: Callable[[list[str]], Sequence[Sequence[float]]],
        min_cosine: float,
        model_id: str = "",
    ) -> None:
        # content words only: an English word is never translated to "och" or "att"
        self.words = sorted(
            w for w in vocabulary if w.isalpha() and len(w) >= MIN_LETTERS and is_content(w)
        )
        self.min_cosine = min_cosine
        self._embed = embed
        self._key = (model_id, hash(tuple(self.words)))
        self._nearest: dict[str, tuple[str, float]] = {}

    def swedish(self, text: str) -> list[str]:
        """The corpus words the text's English content words translate to, in order."""
        words = [
            w
            for w in dict.fromkeys(re.findall(r"[a-z]+", text.lower()))
            if len(w) >= MIN_LETTERS and w not in ENGLISH_STOPWORDS
        ]
        found = self._look_up(words)
        out: list[str] = []
        for word in words:
            nearest = found.get(word)
            if nearest is not None and nearest[1] >= self.min_cosine and nearest[0] not in out:
                out.append(nearest[0])
        return out

    def nearest(self, word: str) -> tuple[str, float] | None:
        """The corpus word nearest to `word` and its cosine; None without corpus words."""
        return self._look_up([word]).get(word)

    def _look_up(self, words: list[str]) -> dict[str, tuple[str, float]]:
        """Each word's nearest corpus word and cosine, those not looked up before embedded in
        one call. The answer is the caller's own: the cache may be cleared meanwhile (when it
        is full, or by another request's thread)."""
        found = {w: hit for w in words if (hit := self._nearest.get(w)) is not None}
        new = [w for w in words if w not in found]
        if not new:
            return found
        matrix = self._vectors()
        if not len(matrix):
            return found
        cosines = _units(self._embed(new)) @ matrix.T
        for word, row in zip(new, cosines, strict=True):
            best = int(np.argmax(row))
            found[word] = (self.words[best], float(row[best]))
        if len(self._nearest) + len(new) > _CACHE:
            self._nearest.clear()
        self._nearest.update((w, found[w]) for w in new[:_CACHE])
        return found

    def warm(self) -> None:
        """Embed the corpus words now (a server's start) rather than on the first English
        question."""
        self._vectors()

    def _vectors(self) -> np.ndarray:
        """The corpus words' vectors, kept per embedder and vocabulary: the services of an
        ablation, or one swapped in after an ingestion that added no word, share them."""
        with _LOCK:
            matrix = _MATRICES.get(self._key)
            if matrix is None:
                batches = [self.words[i : i + _BATCH] for i in range(0, len(self.words), _BATCH)]
                matrix = (
                    np.vstack([_units(self._embed(b)) for b in batches])
                    if batches
                    else np.zeros((0, 0))
                )
                if len(_MATRICES) >= _VOCABULARIES:
                    _MATRICES.clear()
                _MATRICES[self._key] = matrix
                log.info("embedded %d corpus words for English questions", len(self.words))
            return matrix


def _units(vectors: Sequence[Sequence[float]]) -> np.ndarray:
    """The vectors as rows of length 1 (a zero vector stays zero)."""
    m = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1.0, norms)
