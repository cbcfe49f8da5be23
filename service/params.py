"""A request's search parameters, parsed once into the engine's SearchRequest with the contract's bounds."""

from __future__ import annotations

from flask import current_app, request

from index.request import Limits, SearchRequest
from service.contract import PARAMS, resolve


def limits() -> Limits:
    """The bounds and default k that the contract takes from this app's settings (MAX_K, MAX_QUERY_CHARS, DEFAULT_K)."""
    config = current_app.config
    return Limits(
        max_k=resolve(PARAMS["k"].maximum, config),
        max_query_chars=resolve(PARAMS["q"].max_length, config),
        default_k=resolve(PARAMS["k"].default, config),
    )


def search_request() -> SearchRequest:
    """The query string's search, checked; a bad parameter is a QueryError, which the app answers with a 400."""
    return SearchRequest.parse(request.args, limits())
