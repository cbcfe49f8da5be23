"""Listings (issue 19): posts not passages, pages, facets, date order, and a bounded score, on the engine."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from index import Filters, Index, SearchRequest
from index.answer import AnswerSettings, answer_question
from index.facets import FACET_VALUES
from index.filters import day_of_post
from index.listing import OTHER_PASSAGES, listing
from index.relevance import RELEVANCE_CUT
from index.request import FACETS
from tests.test_search import PARAPHRASES

BROAD = ["leadership in the NHS", "health inequalities", "productivity", "nature and wellbeing"]


@pytest.mark.parametrize("query", ["leadership in the NHS", "health inequalities", "leaders in the health service"])
def test_one_result_per_post_at_its_best_passage_with_its_other_matching_passages(faceted_index: Index, query: str):
    found = listing(faceted_index, SearchRequest(query, k=10))
    assert found.hits, query
    posts = [hit.post.id for hit in found.hits]
    assert len(posts) == len(set(posts)) == found.total
    every = listing(faceted_index, SearchRequest(query, k=100, group="passage"))
    assert every.total > found.total, "the long post has several matching passages"
    for hit in found.hits:
        assert hit.relevance >= RELEVANCE_CUT and len(hit.passages) <= OTHER_PASSAGES
        own = [h for h in every.hits if h.post.id == hit.post.id]
        assert own[0].passage.id == hit.passage.id, "the post stands at its best passage"
        assert [p.passage.id for p in hit.passages] == [h.passage.id for h in own[1 : 1 + OTHER_PASSAGES]]
        assert all(p.post.id == hit.post.id and p.relevance >= RELEVANCE_CUT for p in hit.passages)
    assert found.hits == sorted(found.hits, key=lambda hit: -hit.score)
    assert any(hit.passages for hit in found.hits)


@pytest.mark.parametrize(("query", "title"), PARAPHRASES)
def test_group_passage_is_the_ranking_search_returns(seed_index: Index, query: str, title: str):
    ranked = seed_index.search(SearchRequest(query, k=5))
    found = listing(seed_index, SearchRequest(query, k=5, group="passage"))
    matching = [hit for hit in ranked if hit.relevance >= RELEVANCE_CUT]
    assert [h.passage.id for h in found.hits] == [h.passage.id for h in matching]
    assert [h.score for h in found.hits] == pytest.approx([h.score for h in matching], abs=1e-6)
    assert found.hits[0].post.title.startswith(title)


@pytest.mark.parametrize(("group", "sort"), list(itertools.product(("post", "passage"), ("relevance", "date"))))
def test_pages_split_one_order_and_never_repeat(faceted_index: Index, group: str, sort: str):
    query = "leaders in the health service"
    whole = listing(faceted_index, SearchRequest(query, k=100, group=group, sort=sort))
    assert whole.total == len(whole.hits) > 4 and whole.total_exact
    pages = [listing(faceted_index, SearchRequest(query, k=3, group=group, sort=sort, page=n)) for n in range(1, 8)]
    assert {page.total for page in pages} == {whole.total}
    shown = [hit for page in pages for hit in page.hits]
    assert [(h.passage.id, h.rank) for h in shown] == [(h.passage.id, h.rank) for h in whole.hits]
    assert [h.rank for h in shown] == list(range(1, whole.total + 1))
    assert pages[-1].hits == [], "past the last page: nothing, and the total says why"


def _filters_for(facet: str, value: str) -> dict[str, str]:
    if facet == "year":
        return {"published_from": f"{value}-01-01", "published_to": f"{value}-12-31"}
    return {facet: value}


@pytest.mark.parametrize("base", [Filters(), Filters(tag="nhs"), Filters(author="ROGER KLINE"), Filters(tag="books")])
@pytest.mark.parametrize("query", ["leaders in the health service", "health service productivity", "NHS staff"])
def test_each_facet_count_is_the_total_its_filter_gives(faceted_index: Index, base: Filters, query: str):
    found = listing(faceted_index, SearchRequest(query, filters=base, facets=FACETS))
    assert set(found.facets) == set(FACETS)
    for facet, values in found.facets.items():
        assert len(values) <= FACET_VALUES
        for value, count in values:
            # The value replaces the facet's own filter and keeps the others.
            fields = {"author": base.author, "tag": base.tag} | _filters_for(facet, value)
            if facet != "year":
                fields |= {"published_from": base.published_from, "published_to": base.published_to}
            narrowed = listing(faceted_index, SearchRequest(query, filters=Filters(**fields)))
            assert narrowed.total == count > 0, (facet, value)


def test_facets_merge_spellings_and_list_years_newest_first(faceted_index: Index):
    found = listing(faceted_index, SearchRequest("leaders in the health service", facets=("author", "tag", "year")))
    authors = dict(found.facets["author"])
    assert "roger kline" not in authors and authors.get("Roger Kline", 0) >= 1, "one value, the spelling most posts use"
    tags = dict(found.facets["tag"])
    assert "nhs" not in tags
    years = [int(year) for year, _ in found.facets["year"]]
    assert years == sorted(years, reverse=True)
    counts = [count for _, count in found.facets["author"]]
    assert counts == sorted(counts, reverse=True)
    assert listing(faceted_index, SearchRequest("leadership")).facets == {}


@pytest.mark.parametrize("group", ["post", "passage"])
def test_date_order_is_newest_first_among_the_same_results_undated_last(faceted_index: Index, group: str):
    query = "leaders in the health service"
    by_relevance = listing(faceted_index, SearchRequest(query, k=100, group=group))
    by_date = listing(faceted_index, SearchRequest(query, k=100, group=group, sort="date"))
    assert sorted(h.passage.id for h in by_date.hits) == sorted(h.passage.id for h in by_relevance.hits)
    days = [day_of_post(hit.post.published) for hit in by_date.hits]
    dated = [day for day in days if day is not None]
    assert dated == sorted(dated, reverse=True) and None in days
    assert days[len(dated) :] == [None] * (len(days) - len(dated)), "posts without a date come last"
    position = {h.passage.id: n for n, h in enumerate(by_relevance.hits)}
    for a, b in itertools.pairwise(by_date.hits):
        if day_of_post(a.post.published) == day_of_post(b.post.published):
            assert position[a.passage.id] < position[b.passage.id], "the same day keeps relevance order"


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_scores_are_bounded_and_fall_down_the_list(seed_index: Index, mode: str):
    for query in [*BROAD, *(q for q, _ in PARAPHRASES)]:
        for group in ("post", "passage"):
            hits = listing(seed_index, SearchRequest(query, k=20, mode=mode, group=group)).hits
            scores = [hit.relevance for hit in hits]
            assert all(RELEVANCE_CUT <= score <= 1 for score in scores)
            assert scores == sorted(scores, reverse=True), (query, mode, group)


def test_scores_mean_the_same_across_queries(seed_index: Index):
    """A query about nothing in the corpus matches nothing; one that names a post's subject matches it well."""
    assert listing(seed_index, SearchRequest("how do I change a flat car tyre")).hits == []
    assert listing(seed_index, SearchRequest("recipe for banana bread")).total == 0
    best = listing(seed_index, SearchRequest("Professor of Leadership at Henley Business School")).hits[0]
    assert best.post.title == "In Conversation with David Pendleton" and best.relevance > 0.5
    # The query: raw scores 0.077, -0.037 and -182.9 before; bounded, and no stop word makes the ranking.
    hits = seed_index.search(SearchRequest("how to keep doctors from burning out", k=3))
    assert all(0 <= hit.relevance <= 1 for hit in hits) and min(hit.score for hit in hits) > -10


def test_filters_restrict_the_results_without_rescoring_them(faceted_index: Index):
    query = "leaders in the health service"
    whole = listing(faceted_index, SearchRequest(query, k=100, group="passage"))
    for filters in (Filters(author="roger kline"), Filters(tag="Books"), Filters(published_from="2023-01-01")):
        narrowed = listing(faceted_index, SearchRequest(query, k=100, group="passage", filters=filters))
        kept = [(h.passage.id, h.score, h.relevance) for h in whole.hits if filters.accepts(h.post)]
        assert [(h.passage.id, h.score, h.relevance) for h in narrowed.hits] == kept


def test_answers_read_the_listings_ranking(seed_index: Index):
    for query, _ in PARAPHRASES:
        request = SearchRequest(query)
        vector = seed_index.encoder.encode([query])[0]
        found = listing(seed_index, request, vector, passages=AnswerSettings().passages)
        searched = seed_index.search(replace(request, k=10))
        assert [h.passage.id for h in found.passages] == [h.passage.id for h in searched]
        shared = answer_question(seed_index, request, vector=vector, hits=found.passages)
        alone = answer_question(seed_index, request)
        assert (shared.answer and shared.answer.text) == (alone.answer and alone.answer.text)


def test_total_is_exact_unless_passages_beyond_the_candidates_could_match(seed_index: Index):
    request = SearchRequest("leadership")
    assert listing(seed_index, request).total_exact
    scored = seed_index.score("leadership", 10, "hybrid", 0.6, seed_index.encoder.encode(["leadership"])[0])
    assert scored.beyond == 0.0, "the bundled corpus is smaller than the candidate lists: every passage is scored"
    assert np.all((scored.relevance >= 0) & (scored.relevance <= 1))
