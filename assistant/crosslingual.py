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
_VOCABULARIES = 4  # corpus vocabularies whose vectors are kept (an index and its successor)
_MATRICES: dict[tuple[str, int], np.ndarray] = {}
_LOCK = threading.Lock()


class WordTranslator:
    """`embed` embeds one text as a query (the same side for English and Swedish words, so
    that a word and its translation meet); `model_id` names the embedder. The corpus words
    are embedded on first use or by `warm` (about 10 s on 2 cores), not when a service is
    built: the evals and tests build many."""

    def __init__(
        self,
        vocabulary: Iterable[str],
        embed: Callable[[str], Sequence[float]],
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
        out: list[str] = []
        for word in dict.fromkeys(re.findall(r"[a-z]+", text.lower())):
            if len(word) < MIN_LETTERS or word in ENGLISH_STOPWORDS:
                continue
            found = self.nearest(word)
            if found is not None and found[1] >= self.min_cosine and found[0] not in out:
                out.append(found[0])
        return out

    def nearest(self, word: str) -> tuple[str, float] | None:
        """The corpus word nearest to `word` and its cosine; None without corpus words."""
        if word not in self._nearest:
            matrix = self._vectors()
            if not len(matrix):
                return None
            cosines = matrix @ _unit(self._embed(word))
            best = int(np.argmax(cosines))
            if len(self._nearest) >= _CACHE:
                self._nearest.clear()
            self._nearest[word] = (self.words[best], float(cosines[best]))
        return self._nearest[word]

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
                vectors = [_unit(self._embed(w)) for w in self.words]
                matrix = np.array(vectors) if vectors else np.zeros((0, 0))
                if len(_MATRICES) >= _VOCABULARIES:
                    _MATRICES.clear()
                _MATRICES[self._key] = matrix
                log.info("embedded %d corpus words for English questions", len(self.words))
            return matrix


def _unit(vector: Sequence[float]) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v
