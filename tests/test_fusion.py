"""Fusion functions on hand-checkable score lists, and best-passage document ranking."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from index.evaluation.retrieval import document_ranking
from index.fusion import FusionSettings, convex, minmax, rrf, zscore
from index.search import Ranked


def test_minmax_scales_by_the_reference_range_and_clips():
    reference = np.array([2.0, 4.0, 6.0])
    assert minmax(np.array([2.0, 5.0, 6.0, 0.0, 9.0]), reference).tolist() == [0.0, 0.75, 1.0, 0.0, 1.0]
    assert minmax(np.array([3.0, 1.0]), np.array([3.0])).tolist() == [1.0, 0.0], "one candidate: it is the best"
    assert minmax(np.array([1.0]), np.array([])).tolist() == [0.0], "an empty side adds nothing"


def test_zscore_uses_the_reference_mean_and_spread():
    reference = np.array([1.0, 3.0])  # mean 2, population std 1
    assert zscore(np.array([1.0, 2.0, 5.0]), reference).tolist() == [-1.0, 0.0, 3.0]
    assert zscore(np.array([7.0, 6.0]), np.array([7.0, 7.0])).tolist() == [1.0, 0.0]
    assert zscore(np.array([1.0]), np.array([])).tolist() == [0.0]


@pytest.mark.parametrize("normalisation", ["zscore", "minmax"])
def test_convex_weighs_the_sides_by_alpha(normalisation: str):
    dense = np.array([0.9, 0.5, 0.1])
    lexical = np.array([0.0, 2.0, 10.0])
    dense_first = convex(dense, dense, lexical, lexical, 1.0, normalisation)
    lexical_first = convex(dense, dense, lexical, lexical, 0.0, normalisation)
    assert np.argmax(dense_first) == 0 and np.argmax(lexical_first) == 2
    balanced = convex(dense, dense, lexical, lexical, 0.5, normalisation)
    expected = 0.5 * (zscore if normalisation == "zscore" else minmax)(dense, dense)
    expected += 0.5 * (zscore if normalisation == "zscore" else minmax)(lexical, lexical)
    np.testing.assert_allclose(balanced, expected, rtol=1e-6)


def test_rrf_sums_weighted_reciprocal_ranks_and_ignores_absence():
    dense_rank = np.array([1.0, 2.0, 0.0])
    lexical_rank = np.array([0.0, 1.0, 2.0])
    fused = rrf(dense_rank, lexical_rank, k=60, alpha=0.5)
    np.testing.assert_allclose(fused, [1 / 61, 1 / 62 + 1 / 61, 1 / 62], rtol=1e-6)
    assert np.argmax(fused) == 1, "found by both sides beats first on one side"
    assert rrf(dense_rank, lexical_rank, k=60, alpha=1.0)[2] == 0.0


def test_default_fusion_is_the_one_chosen_on_train():
    assert FusionSettings() == FusionSettings(
        method="convex",
        alpha=0.6,
        normalisation="zscore",
        candidates=1000,
        rrf_k=60,
        sentence_share=0.75,
        sentence_depth=100,
    )


def test_a_document_ranks_by_its_best_passage():
    ranked = Ranked(ids=np.array([2, 4, 0, 1, 3]), scores=np.array([0.9, 0.8, 0.7, 0.6, 0.5]))
    index = SimpleNamespace(passages=[SimpleNamespace(post_id=p) for p in "abacb"])
    assert document_ranking(index, ranked) == ["a", "b", "c"]
