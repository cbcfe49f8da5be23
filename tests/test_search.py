"""Search quality on the bundled corpus, modes and filters."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from index import Filters, Index, QueryError, SearchRequest, build
from index.vectors import VectorIndex

PARAPHRASES = [
    ("Who is Professor of Leadership at Henley Business School?", "In Conversation with David Pendleton"),
    ("how being outdoors in the natural world helps wellbeing", "Nurturing Nature in the NHS"),
    ("why is the health service not getting more output for its money", "What even is productivity in healthcare?"),
    ("memoir of identical twin brothers who shaped US health policy", "(P)luck: Lessons We Learned for Improving"),
    ("a physiotherapist talks about her career", "In conversation with Rachael Moses"),
    ("why did the system cover up problems after the Francis report", "Lucy Letby: Shuffling deckchairs"),
    ("a handbook reviewed for doctors who manage", "Oxford Handbook of Medical Leadership and Management"),
]


@pytest.mark.parametrize(("query", "title"), PARAPHRASES)
def test_paraphrased_query_finds_the_right_post_first(seed_index: Index, query: str, title: str):
    hits = seed_index.search(SearchRequest(query, k=3))
    assert hits[0].post.title.startswith(title), [h.post.title for h in hits]


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_ranks_and_attributes(seed_index: Index, mode: str):
    hits = seed_index.search(SearchRequest("Professor of Leadership Henley", k=5, mode=mode))
    assert hits[0].post.title == "In Conversation with David Pendleton"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    assert hits[0].to_json()["post"]["tags"] == ["BMJ Leader"]


def test_an_opened_index_keeps_attribution_and_leaves_the_words_to_the_passages(seed_index: Index, seed_posts):
    by_id = {post.id: post for post in seed_posts}
    for post_id, post in seed_index.posts.items():
        assert post.text == "", "held once, in the passages"
        assert post.to_json() | {"text": by_id[post_id].text} == by_id[post_id].to_json()
    for passage in seed_index.passages:
        assert by_id[passage.post_id].text[passage.start : passage.end] == passage.text


def test_highlights_point_at_query_terms(seed_index: Index):
    hit = seed_index.search(SearchRequest("Henley leadership", k=1))[0]
    marked = {hit.passage.text[s:e].lower() for s, e in hit.highlights}
    assert {"henley", "leadership"} <= marked


def test_filters_apply_before_the_cut(tmp_path, encoder, seed_posts):
    dated = [
        replace(p, published=f"2024-0{1 + i % 3}-15", author=p.author or "Staff") for i, p in enumerate(seed_posts)
    ]
    index = Index.open(build(dated, tmp_path, encoder=encoder).folder, encoder=encoder)
    march = [p for p in dated if p.published == "2024-03-15"]
    hits = index.search(
        SearchRequest("nature", k=10, filters=Filters(published_from="2024-03-01", published_to="2024-03-31"))
    )
    assert sorted(h.post.id for h in hits) == sorted(p.id for p in march), "all matching posts, none other"
    by_author = index.search(SearchRequest("leadership", k=1, filters=Filters(author="roger kline")))
    assert [h.post.title for h in by_author] == ["Lucy Letby: Shuffling deckchairs will not work"]
    assert index.search(SearchRequest("anything", k=5, filters=Filters(tag="Not a tag"))) == []


def test_bad_parameters(seed_index: Index):
    with pytest.raises(QueryError):
        SearchRequest("x", mode="magic")
    with pytest.raises(QueryError):
        SearchRequest("x", alpha=2.0)
    with pytest.raises(QueryError):
        Filters(published_from="yesterday")


def test_sentence_evidence_reorders_only_the_fused_head(seed_index: Index):
    query = "Who is Professor of Leadership at Henley Business School?"
    plain = Index(*_parts(seed_index), replace(seed_index.fusion, sentence_share=0.0), seed_index.sentences)
    with_sentences = Index(*_parts(seed_index), replace(seed_index.fusion, sentence_depth=3), seed_index.sentences)
    before, after = plain.rank(query, 3, "hybrid", 0.6), with_sentences.rank(query, 3, "hybrid", 0.6)
    assert sorted(before.ids.tolist()) == sorted(after.ids.tolist()), "the same head, re-scored"
    assert list(after.scores) == sorted(after.scores, reverse=True)
    assert not np.allclose(before.scores, after.scores), "the best sentence's cosine moved the scores"
    full = seed_index.rank(query, 10, "hybrid", 0.6)
    assert len(full.ids) == len(set(full.ids.tolist())) == 10


def test_best_sentence_cosines_are_the_max_over_each_passages_sentences(seed_index: Index):
    vector = seed_index.encoder.encode(["leadership in the NHS"])[0]
    table = seed_index.sentences
    passages = np.array([3, 0, len(seed_index.passages) - 1])
    fallback = np.full(3, -5.0, dtype=np.float32)
    found = seed_index._best_sentence_cosines(vector, passages, fallback)
    expected = [max(table.vectors_of([r])[0] @ vector for r in table.rows(p)) for p in passages]
    np.testing.assert_allclose(found, expected, rtol=1e-5)


@pytest.mark.parametrize("method", ["convex", "rrf"])
@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_the_int8_scan_leaves_rankings_as_exact_scores_make_them(seed_index: Index, mode: str, method: str):
    """The scan only picks candidates: the head is rescored exactly, so rankings match a float32 scan's and those
    of FAISS's own exact scores (an IVF index probing every list), with and without a filter."""
    assert seed_index.vectors.scan is not None and not seed_index.vectors.dense_scores(np.ones(384)).exact_scores
    exact_vectors = VectorIndex(seed_index.vectors.index)
    assert exact_vectors.scan is None
    ivf = VectorIndex.build(np.array(seed_index.vectors.matrix), exact_limit=1)
    assert ivf.ivf is not None
    ivf.ivf.nprobe = ivf.ivf.nlist
    assert ivf.dense_scores(np.ones(384, dtype=np.float32)).exact_scores
    parts = _parts(seed_index)
    fusion = replace(seed_index.fusion, method=method)
    scanned = Index(*parts[:4], seed_index.vectors, *parts[5:], fusion, seed_index.sentences)
    others = [Index(*parts[:4], v, *parts[5:], fusion, seed_index.sentences) for v in (exact_vectors, ivf)]
    odd = np.arange(1, len(seed_index.passages), 2)
    for (query, _), allowed in itertools.product(PARAPHRASES, (None, odd)):
        vector = seed_index.encoder.encode([query])[0]
        ranked = scanned.rank(query, 10, mode, 0.6, allowed, vector)
        for other in others:
            plain = other.rank(query, 10, mode, 0.6, allowed, vector)
            assert ranked.ids.tolist() == plain.ids.tolist()
            np.testing.assert_allclose(ranked.scores, plain.scores, atol=0.02 if mode == "hybrid" else 1e-5)


def _parts(index: Index) -> tuple:
    return (index.folder, index.manifest, index.posts, index.passages, index.vectors, index.lexical, index.encoder)
