"""Logging a search or question from a route: the one call the API and the pages make (service/analytics.py)."""

from __future__ import annotations

import time

from flask import Response, current_app

from service.analytics import QueryLog


def record_query(endpoint: str, query: str, post_ids: list[str], answer_shown: bool | None, started: float) -> str:
    """Log one search or question (when analytics are on); the id the page's result links carry ("" when off)."""
    log: QueryLog | None = current_app.extensions.get("query_log")
    if log is None:
        return ""
    return log.record(endpoint, query, post_ids, answer_shown, 1000 * (time.perf_counter() - started))


def with_query_id(response: Response, query_id: str) -> Response:
    """The logged query's id in `X-Query-Id`, for the page's script to build its result links with; the body is
    the API's own, unchanged."""
    if query_id:
        response.headers["X-Query-Id"] = query_id
    return response
