"""The JSON API: thin routes that validate parameters and call the engine."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import MethodNotAllowed

from index import Filters, Index
from index.answer import answer_question
from service.contract import PARAMS, is_blank, resolve
from service.errors import ApiError

api = Blueprint("api", __name__, url_prefix="/api")


@api.before_request
def get_only() -> None:
    """Flask answers HEAD for every GET route by running it; a HEAD must not cost a search, so the API refuses it."""
    if request.method == "HEAD":
        raise MethodNotAllowed(valid_methods=["GET"], description="the API takes GET only")


def served_index() -> Index:
    """The index this request uses, taken once per request: a reload mid-request never mixes two versions."""
    if "search_index" not in g:
        g.search_index = current_app.extensions["served_index"].current()
    return g.search_index


def query_text(name: str = "q") -> str:
    """The query parameter, checked: present, not blank, not longer than MAX_QUERY_CHARS."""
    value = request.args.get(name)
    if value is None:
        raise ApiError(400, "missing_query", f"add the query as ?{name}=your+words")
    value = value.strip()
    if is_blank(value):
        raise ApiError(400, "empty_query", "the query is empty; type some words to search for")
    limit = resolve(PARAMS[name].max_length, current_app.config)
    if len(value) > limit:
        raise ApiError(400, "query_too_long", f"the query has {len(value)} characters; the limit is {limit}")
    return value


def int_arg(name: str) -> int:
    """A whole number within the contract's bounds; absent or empty means the contract's default."""
    param, config = PARAMS[name], current_app.config
    low, high = resolve(param.minimum, config), resolve(param.maximum, config)
    raw = request.args.get(name)
    if raw is None or raw == "":
        return resolve(param.default, config)
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"bad_{name}", f"{name} must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise ApiError(400, f"bad_{name}", f"{name} must be a whole number from {low} to {high}")
    return value


def float_arg(name: str) -> float | None:
    """A number within the contract's bounds (never NaN or infinite); None when absent or empty."""
    param, config = PARAMS[name], current_app.config
    low, high = resolve(param.minimum, config), resolve(param.maximum, config)
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(400, f"bad_{name}", f"{name} must be a number from {low} to {high}") from None
    if not low <= value <= high:
        raise ApiError(400, f"bad_{name}", f"{name} must be a number from {low} to {high}")
    return value


def choice_arg(name: str) -> str:
    """One of the contract's values; absent or empty means the contract's default."""
    param = PARAMS[name]
    value = request.args.get(name) or resolve(param.default, current_app.config)
    if value not in param.enum:
        raise ApiError(400, f"bad_{name}", f"{name} must be one of {', '.join(param.enum)}")
    return value


def search_params() -> dict[str, Any]:
    """Every search parameter, validated; shared by /api/search, /api/answer and the page."""
    return {
        "k": int_arg("k"),
        "mode": choice_arg("mode"),
        "alpha": float_arg("alpha"),
        "filters": Filters(
            author=request.args.get("author") or None,
            tag=request.args.get("tag") or None,
            published_from=request.args.get("from") or None,
            published_to=request.args.get("to") or None,
        ),
    }


@api.get("/search")
def search() -> ResponseReturnValue:
    started = time.perf_counter()
    query = query_text()
    hits = served_index().search(query, **search_params())
    return jsonify(
        {
            "query": query,
            "took_ms": round((time.perf_counter() - started) * 1000, 3),
            "results": [hit.to_json() for hit in hits],
        }
    )


@api.get("/answer")
def answer() -> ResponseReturnValue:
    started = time.perf_counter()
    question = query_text()
    result = answer_question(served_index(), question, **search_params())
    return jsonify(
        {
            "question": question,
            "took_ms": round((time.perf_counter() - started) * 1000, 3),
            "answer": result.answer.to_json() if result.answer else None,
            "results": [hit.to_json() for hit in result.hits],
        }
    )
