"""The JSON API: thin routes that parse a search request and call the engine."""

from __future__ import annotations

import time

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import MethodNotAllowed

from service.listings import answer_listing, listing_json, search_listing
from service.params import search_request
from service.recording import record_query, with_query_id
from service.serving import served_index

api = Blueprint("api", __name__, url_prefix="/api")


@api.before_request
def get_only() -> None:
    """Flask answers HEAD for every GET route by running it; a HEAD must not cost a search, so the API refuses it."""
    if request.method == "HEAD":
        raise MethodNotAllowed(valid_methods=["GET"], description="the API takes GET only")


@api.get("/search")
def search() -> ResponseReturnValue:
    started = time.perf_counter()
    asked = search_request()
    found = search_listing(served_index(), asked)
    query_id = record_query("api/search", asked.query, [hit.post.id for hit in found.hits], None, started)
    response = jsonify(
        {
            "query": asked.query,
            "took_ms": round((time.perf_counter() - started) * 1000, 3),
            **listing_json(found, asked),
        }
    )
    return with_query_id(response, query_id)


@api.get("/answer")
def answer() -> ResponseReturnValue:
    started = time.perf_counter()
    asked = search_request()
    result, found = answer_listing(served_index(), asked)
    shown = result.answer is not None
    query_id = record_query("api/answer", asked.query, [hit.post.id for hit in result.hits], shown, started)
    response = jsonify(
        {
            "question": asked.query,
            "took_ms": round((time.perf_counter() - started) * 1000, 3),
            "answer": result.answer.to_json() if result.answer else None,
            # The best sentence whether or not it clears the threshold, for programs that decide for themselves.
            "candidate": result.candidates[0].to_json() if result.candidates else None,
            **listing_json(found, asked),
        }
    )
    return with_query_id(response, query_id)
