"""The offline tuning helpers (index/evaluation/tuning.py) on small hand-made arrays, against the service's own code."""

from __future__ import annotations

import numpy as np
import pytest

from index.evaluation import tuning
from index.evaluation.metrics import ndcg
from index.fusion import FusionSettings, zscore
from index.lexical import LexicalIndex, analyse
from index.request import SearchRequest

PASSAGES = [
    "Vitamin D supplements lower the risk of fractures in older women.",
    "Fractures of the hip are common in older people; vitamin levels matter.",
    "Leadership training for nurses improves team morale.",
    "Nurses lead teams; morale rises with training and support.",
]
QUERIES = ["vitamin D and hip fractures", "nurse leadership training", "zzyzx"]


def test_zscore_rows_equal_the_services_fusion_zscore():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(3, 50)).astype(np.float32)
    mask = tuning.top_mask(scores, 20)
    assert mask.sum(1).tolist() == [20, 20, 20]
    for row in range(3):
        kept = np.sort(np.argsort(-scores[row])[:20])
        assert np.flatnonzero(mask[row]).tolist() == kept.tolist()
        reference = scores[row, mask[row]]
        expected = (scores[row] - reference.mean()) / reference.std()
        np.testing.assert_allclose(tuning.zscore(scores, mask)[row], expected, rtol=1e-5)
        np.testing.assert_allclose(zscore(scores[row], reference), expected, rtol=1e-5)


def test_top_mask_positive_leaves_out_zero_scores():
    scores = np.array([[0.0, 2.0, 0.0, 1.0]], np.float32)
    assert tuning.top_mask(scores, 3, positive=True).tolist() == [[False, True, False, True]]


def test_doc_max_takes_each_documents_best_passage():
    scores = np.array([[0.1, 0.9, 0.3, -np.inf, 0.2]], np.float32)
    starts = np.array([0, 2, 3])  # documents: passages 0-1, 2, 3-4
    assert tuning.doc_max(scores, starts).tolist() == [[pytest.approx(0.9), pytest.approx(0.3), pytest.approx(0.2)]]


def test_service_ranking_is_the_rerank_of_the_fused_head():
    rng = np.random.default_rng(2)
    dense = rng.uniform(0, 1, (2, 40)).astype(np.float32)
    signals = tuning.Signals(dense[:, :3], dense, dense + rng.uniform(0, 0.2, (2, 40)), rng.uniform(0, 5, (2, 40)))
    got = tuning.service_ranking(signals, FusionSettings(alpha=0.6, sentence_share=0.75, sentence_depth=10))
    expected = tuning.rerank(signals, (0.6, 0.0, 0.4), (0.15, 0.45, 0.4), 10)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    head = got > -1e5
    assert head.sum(1).tolist() == [10, 10]  # the rest keep the first ranking, below every re-scored passage
    assert (got[head].min() > got[~head].max()) or not (~head).any()


def test_bm25_of_tokens_equals_the_services_bm25():
    ours = tuning.bm25_of_tokens(analyse(PASSAGES), analyse(QUERIES))
    lexical = LexicalIndex.build(PASSAGES)
    for row, query in enumerate(QUERIES):
        np.testing.assert_allclose(ours[row], lexical.scores(query), rtol=1e-6, err_msg=query)
    assert ours[0, :2].min() > 0 and ours[0, 2:].max() == 0
    assert not ours[2].any()


def test_term_pairs_and_proximity():
    assert tuning.term_pairs(["a", "b", "c"], 2) == ["a_b", "b_c"]
    assert tuning.term_pairs(["c", "b", "a"], 3) == ["b_c", "a_c", "a_b"]
    pairs = tuning.bm25_of_tokens(
        [tuning.term_pairs(t, 3) for t in analyse(PASSAGES)], [tuning.term_pairs(analyse(["hip fractures"])[0], 3)]
    )
    # "fractures of the hip": the two words are near each other only in the second passage
    assert pairs[0, 1] > 0 and pairs[0, [0, 2, 3]].max() == 0


def test_coverage_is_the_idf_weighted_share_of_query_terms():
    lexical = LexicalIndex.build(PASSAGES)
    matrix = tuning.bm25_matrix(lexical)
    terms = tuning.query_terms(lexical, ["vitamin hip", "zzyzx"], matrix.shape[1])
    covered = tuning.coverage(matrix, terms)
    # vitamin: passages 0 and 1; hip: passage 1 only (rarer, so it weighs more)
    assert covered[0, 1] == pytest.approx(1.0)
    assert 0 < covered[0, 0] < 0.5 and covered[0, 2] == covered[0, 3] == 0
    assert not covered[1].any()


def test_coordinate_ascent_climbs_to_the_best_weights():
    best = np.array([0.3, -0.1])
    weights, value = tuning.coordinate_ascent(lambda w: -float(((w - best) ** 2).sum()), np.zeros(2), passes=3)
    np.testing.assert_allclose(weights, best, atol=1e-6)
    assert value == pytest.approx(0.0, abs=1e-9)


def test_candidates_score_documents_by_their_best_passage():
    rng = np.random.default_rng(3)
    features = [rng.normal(size=(4, 12)).astype(np.float32) for _ in range(2)]
    mask = rng.uniform(size=(4, 12)) < 0.7
    passage_doc = np.repeat(np.arange(6), 2)
    doc_ids = np.array([f"d{i}" for i in range(6)])
    qrels = [{"d1": 1}, {"d2": 1, "d5": 2}, {"d0": 1}, {"d3": 1}]
    weights = np.array([0.7, -0.2], np.float32)
    candidates = tuning.Candidates.of(features, mask, passage_doc)
    combined = np.where(mask, 0.7 * features[0] - 0.2 * features[1], -np.inf)
    expected = tuning.doc_max(combined, np.arange(0, 12, 2))
    np.testing.assert_allclose(candidates.scores(weights), expected, rtol=1e-6)
    by_hand = []
    for row in range(4):
        order = [i for i in np.argsort(-expected[row], kind="stable") if np.isfinite(expected[row, i])]
        by_hand.append(ndcg(list(doc_ids[order]), qrels[row], 10))
    assert candidates.mean_ndcg(np.arange(4), weights, doc_ids, qrels) == pytest.approx(np.mean(by_hand))


SEED_QUERIES = [
    "leadership in the NHS",
    "what is compassionate leadership",
    "health inequalities conference",
    "book review",
    "nature and health",
    "productivity",
    "how do doctors become leaders",
    "nurses",
]


@pytest.mark.parametrize(
    "settings", [FusionSettings(), FusionSettings(alpha=0.4, sentence_share=0.5, sentence_depth=4)]
)
def test_the_tuning_ranking_is_the_services_on_a_real_index(seed_index, settings: FusionSettings):
    """Tuning scores fusion variants in numpy; they must be the engine's ranking, or every tuning figure is off."""
    signals = tuning.index_signals(seed_index, SEED_QUERIES)
    ranked = tuning.service_ranking(signals, settings)
    index = replace_fusion(seed_index, settings)
    for row, query in enumerate(SEED_QUERIES):
        # The engine re-scores at least the k it is asked for; tuning, exactly sentence_depth: ask for that many.
        asked = SearchRequest(query, k=min(settings.sentence_depth, len(index.passages)))
        served = [hit.passage.id for hit in index.search(asked)]
        finite = np.isfinite(ranked[row])
        ours = [index.passages[i].id for i in np.argsort(-ranked[row], kind="stable") if finite[i]]
        assert ours[: len(served)] == served[: len(ours)], query


def replace_fusion(index, settings: FusionSettings):
    from index import Index

    return Index(
        index.folder,
        index.manifest,
        index.posts,
        index.passages,
        index.vectors,
        index.lexical,
        index.encoder,
        fusion=settings,
        sentences=index.sentences,
    )
