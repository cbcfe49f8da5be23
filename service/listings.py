"""A search as the API and the page list it: the engine's listing under this app's RELEVANCE_CUT, with the answer
read from the same ranking, and the listing's JSON fields."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app

from index.answer import AnswerResult, AnswerSettings, answer_question
from index.listing import Listing, listing
from index.request import SearchRequest
from index.search import Index


def search_listing(index: Index, asked: SearchRequest) -> Listing:
    """The request's page of results."""
    return listing(index, asked, cut=current_app.config["RELEVANCE_CUT"])


def answer_listing(index: Index, asked: SearchRequest) -> tuple[AnswerResult, Listing]:
    """The answer and the page of results, from one ranking: the answer reads the best passages the filters allow,
    as it always has; its `hits` are the results the page lists, so both views name the same posts."""
    vector = index.encoder.encode([asked.query])[0]
    depth = AnswerSettings().passages
    found = listing(index, asked, vector, passages=depth, cut=current_app.config["RELEVANCE_CUT"])
    result = answer_question(index, asked, vector=vector, hits=found.passages)
    return replace(result, hits=found.hits), found


def listing_json(found: Listing, asked: SearchRequest) -> dict[str, Any]:
    """total, total_exact, page, k, results and facets, as contract.LISTING describes them."""
    return {
        "total": found.total,
        "total_exact": found.total_exact,
        "page": asked.page,
        "k": asked.k,
        "results": [hit.to_json() for hit in found.hits],
        "facets": {
            name: [{"value": value, "count": count} for value, count in values] for name, values in found.facets.items()
        },
    }
