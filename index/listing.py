"""Results as readers browse them: the posts (or passages) that match a query, best first or newest first, a page
at a time, with how many there are and facet counts."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np

from index.facets import NO_DAY, PostTable
from index.records import Hit
from index.relevance import RELEVANCE_CUT
from index.request import SearchRequest
from index.search import Index

# More matching passages of a post shown with it, besides its best.
OTHER_PASSAGES = 2


@dataclass(frozen=True)
class Listing:
    """One page of results; total counts every result on every page, exactly unless total_exact is False (then at
    least that many: a corpus so large that passages beyond the ranking's candidates could still match)."""

    hits: list[Hit]
    total: int
    total_exact: bool
    facets: dict[str, list[tuple[str, int]]]
    passages: list[Hit] = field(default_factory=list)


def listing(
    index: Index,
    request: SearchRequest,
    vector: np.ndarray | None = None,
    passages: int = 0,
    cut: float = RELEVANCE_CUT,
) -> Listing:
    """The request's page of results: posts each at its best passage (group "post") or passages, that match.

    A passage matches when its relevance reaches the cut (index.relevance.RELEVANCE_CUT); a post, when one of its
    passages does. Scores never depend on filters, which only remove results, so a facet value's count is the total
    its filter gives.
    `passages` also returns that many best passages the filters allow, matching or not, without highlights (what an
    answer is read from: the same ranking, not a second one).
    """
    table = post_table(index)
    filters = table.accepted(request.filters)
    accepted = filters["author"] & filters["tag"] & filters["year"]
    allowed = np.flatnonzero(accepted[table.of_passage]) if request.filters.active() else None
    vector = index.encoder.encode([request.query])[0] if vector is None else vector
    alpha = index.fusion.alpha if request.alpha is None else request.alpha
    scored = index.score(request.query, request.k, request.mode, alpha, vector, allowed)
    best: list[Hit] = []
    if passages:
        passing = np.flatnonzero(accepted[table.of_passage[scored.ids]])
        top = passing[np.lexsort((scored.ids[passing], -scored.scores[passing]))[:passages]]
        best = [
            index.hit(rank, int(scored.ids[n]), float(scored.scores[n]), float(scored.relevance[n]), None)
            for rank, n in enumerate(top, 1)
        ]
    keep = scored.relevance >= cut
    ids, scores, relevance = scored.ids[keep], scored.scores[keep], scored.relevance[keep]
    best_first = np.lexsort((ids, -scores))  # ties go to the lower passage id, so every page sees one order
    ids, scores, relevance = ids[best_first], scores[best_first], relevance[best_first]
    posts = table.of_passage[ids]
    matching = np.zeros(len(table), dtype=bool)
    matching[posts] = True
    facets = table.facets(request.facets, matching, filters) if request.facets else {}
    shown = accepted[posts]
    ids, scores, relevance, posts = ids[shown], scores[shown], relevance[shown], posts[shown]
    if request.group == "post":
        _, first = np.unique(posts, return_index=True)
        results = np.sort(first)  # each post at its best passage, in the order of those passages
    else:
        results = np.arange(len(ids))
    if request.sort == "date":
        days = table.days[posts[results]]
        # Newest first, posts without a date last; the same day keeps relevance order.
        results = results[np.lexsort((np.arange(len(results)), days == NO_DAY, -days))]
    start = (request.page - 1) * request.k
    page = results[start : start + request.k]
    terms = index.query_terms(request.query)
    hits = []
    for rank, at in enumerate(page, start + 1):
        others: tuple[Hit, ...] = ()
        if request.group == "post":
            more = np.flatnonzero(posts == posts[at])
            more = more[more != at][:OTHER_PASSAGES]
            others = tuple(index.hit(rank, int(ids[n]), float(scores[n]), float(relevance[n]), terms) for n in more)
        hits.append(index.hit(rank, int(ids[at]), float(scores[at]), float(relevance[at]), terms, others))
    return Listing(hits, len(results), scored.beyond < cut, facets, best)


_TABLES: weakref.WeakKeyDictionary[Index, PostTable] = weakref.WeakKeyDictionary()


def post_table(index: Index) -> PostTable:
    """The index's posts as arrays; made once per index."""
    if index not in _TABLES:
        _TABLES[index] = PostTable(index.posts, index.passages)
    return _TABLES[index]
