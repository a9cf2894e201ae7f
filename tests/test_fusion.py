"""Fusing the three retrieval rankings: the features each chunk gets from each ranking, the
fitted fusion's score, and the conditional logit that fits it (fast tier, no model: rankings
are given as data)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.policy import FusionModel
from assistant.retrieval import RANKERS, fusion_features
from ingest.models import Chunk, DocumentMeta

META = DocumentMeta("d", "Dokument")
ALL = {name: 1.0 for name in RANKERS}


def _chunk(n: int) -> Chunk:
    return Chunk(f"d:{n}", "d", f"text {n}", ["Dokument"], n, None, "h", META)


A, B, C = _chunk(1), _chunk(2), _chunk(3)
RANKINGS = {
    "bm25": [(A, 8.0), (B, 2.0)],
    "dense": [(B, 0.90), (C, 0.85), (A, 0.80)],
    "unit": [(C, 0.92)],
}


@pytest.mark.parametrize(
    ("chunk", "feature", "value"),
    [
        # placed: the RRF term, the reciprocal rank, the score against the ranking's best
        ("d:1", "bm25_rrf", 1 / 61),
        ("d:1", "bm25_inverse_rank", 1.0),
        ("d:2", "bm25_inverse_rank", 1 / 2),
        ("d:2", "bm25_score", 2.0 / 8.0),  # BM25: a share of the best
        ("d:1", "dense_score", 0.80 - 0.90),  # cosines: the distance from the best
        ("d:2", "dense_score", 0.0),
        # not placed: just below the last place (depth 30), no reciprocal rank, and the last
        # score (BM25: none)
        ("d:3", "bm25_rrf", 1 / (60 + 31)),
        ("d:3", "bm25_inverse_rank", 0.0),
        ("d:3", "bm25_score", 0.0),
        ("d:1", "unit_score", 0.0),  # the unit ranking's last (and only) score is its best
        ("d:1", "unit_inverse_rank", 0.0),
    ],
)
def test_each_chunk_gets_each_rankings_features(chunk, feature, value):
    features = fusion_features(RANKINGS, rrf_k=60, depth=30)
    assert set(features) == {"d:1", "d:2", "d:3"}
    assert features[chunk][feature] == pytest.approx(value)


def test_a_ranking_with_repeated_chunks_counts_the_first_place():
    features = fusion_features({"dense": [(A, 0.9), (A, 0.7)]}, rrf_k=60, depth=30)
    assert features["d:1"]["dense_inverse_rank"] == 1.0


def test_no_rankings_no_candidates():
    assert fusion_features({name: [] for name in RANKERS}, 60, 30) == {}


def test_a_rankers_weight_scales_its_part_and_zero_leaves_it_out():
    model = FusionModel({"bm25_inverse_rank": 2.0, "dense_inverse_rank": 1.0})
    f = {"bm25_inverse_rank": 1.0, "dense_inverse_rank": 0.5}
    assert model.score(f, ALL) == pytest.approx(2.5)
    assert model.score(f, {**ALL, "bm25": 0.0}) == pytest.approx(0.5)
    assert model.score(f, {**ALL, "dense": 2.0}) == pytest.approx(3.0)


def test_a_fusion_that_reads_reciprocal_ranks_can_put_a_first_place_above_a_consensus():
    """RRF with k = 60 ranks a chunk sixth in all three rankings above one first in one of them
    and absent from the others; weights on the reciprocal ranks (made up here) reverse that."""
    first = [_chunk(n) for n in range(10, 16)]
    rankings = {
        "bm25": [(A, 9.0), *[(c, 5.0) for c in first[:4]], (B, 4.0)],
        "dense": [*[(c, 0.8) for c in first[1:6]], (B, 0.7)],
        "unit": [*[(c, 0.8) for c in first[:5]], (B, 0.7)],
    }
    features = fusion_features(rankings, 60, 30)
    rrf = FusionModel({f"{r}_rrf": 1.0 for r in RANKERS})
    reading_ranks = FusionModel({**rrf.weights, **{f"{r}_inverse_rank": 0.05 for r in RANKERS}})
    assert rrf.score(features["d:2"], ALL) > rrf.score(features["d:1"], ALL)
    assert reading_ranks.score(features["d:1"], ALL) > reading_ranks.score(features["d:2"], ALL)


def test_under_the_fitted_weights_a_chunk_only_a_ranker_weighted_0_returns_comes_last():
    """Non-negative weights: every chunk the weighted rankers place scores at least as high as
    one only the ranker weighted 0 returns (BM25 is always read)."""
    from assistant.policy import fusion_model

    model = fusion_model()
    only_bm25 = _chunk(9)
    rankings = {**RANKINGS, "bm25": [*RANKINGS["bm25"], (only_bm25, 1.0)]}
    features = fusion_features(rankings, model.rrf_k, model.depth)
    weights = {**ALL, "bm25": 0.0}
    last = model.score(features["d:9"], weights)
    assert all(model.score(features[c], weights) > last for c in ("d:1", "d:2", "d:3"))


def test_the_fusion_fit_keeps_its_weights_non_negative():
    """A feature that, on the data, goes against the label gets weight 0, not a negative
    one: being ranked higher never lowers a chunk."""
    from evals.fit import ConditionalLogit

    rng = np.random.default_rng(0)
    xs, ys = [], []
    for _ in range(40):
        x = rng.random((6, 2))
        y = np.zeros(6)
        y[int(np.argmin(x[:, 1]))] = 1.0  # the second feature points the wrong way
        xs.append(x)
        ys.append(y)
    free = ConditionalLogit(["a", "b"], 1.0).fit(xs, ys)
    bounded = ConditionalLogit(["a", "b"], 1.0, nonnegative=True).fit(xs, ys)
    assert free.coef_[1] < 0
    assert bounded.coef_[1] == pytest.approx(0.0, abs=1e-6) and (bounded.coef_ >= 0).all()


def test_the_fusion_fit_reads_rrf_from_the_placed_rankings_only():
    """The baseline figure: a ranking that does not place a chunk adds nothing to its RRF
    score (its feature stands just below the last place only for the fitted weights)."""
    from evals.fit import _rrf

    names = [f"{r}_{f}" for r in RANKERS for f in ("rrf", "inverse_rank", "score")]
    features = fusion_features(RANKINGS, rrf_k=60, depth=30)
    x = np.array([[features[c][n] for n in names] for c in ("d:1", "d:2", "d:3")])
    assert _rrf(x, names) == pytest.approx([1 / 61 + 1 / 63, 1 / 62 + 1 / 61, 1 / 62 + 1 / 61])


def test_the_fitted_fusion_loads():
    from assistant.policy import fusion_model

    model = fusion_model()
    assert model is not None and (model.rrf_k, model.depth) == (60, 30)
    assert set(model.weights) == {
        f"{r}_{f}" for r in RANKERS for f in ("rrf", "inverse_rank", "score")
    }
    assert all(w >= 0 for w in model.weights.values())
