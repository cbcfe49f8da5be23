"""The search page and its embeddable box: results rendered on the server, so both work without JavaScript."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from index.errors import QueryError
from service.api import query_text, search_params, served_index
from service.errors import ApiError

web = Blueprint("web", __name__)

# A sidebar has room for a handful of results; the full page is a link away.
EMBED_K = 5
FILTER_PARAMS = ("author", "tag", "from", "to")


@web.get("/")
def page() -> ResponseReturnValue:
    return _render("search.html", k_limit=None)


@web.get("/embed")
def embed() -> ResponseReturnValue:
    return _render("embed.html", k_limit=EMBED_K)


def _render(template: str, k_limit: int | None) -> ResponseReturnValue:
    raw = request.args.get("q", "")
    context: dict[str, Any] = {
        "query": raw,
        "results": None,
        "answer": None,
        "error": None,
        "k_limit": k_limit,
        "posts": served_index().manifest.posts,
        "filtered": any(request.args.get(name) for name in FILTER_PARAMS),
    }
    if not raw.strip():
        return render_template(template, **context)
    try:
        query = query_text()
        params = search_params()
        if k_limit is not None:
            params["k"] = min(params["k"], k_limit)
        hits = served_index().search(query, **params)
    except (ApiError, QueryError) as exc:
        return render_template(template, **{**context, "error": exc.message}), 400
    context.update(query=query, results=[hit.to_json() for hit in hits])
    return render_template(template, **context)


@web.app_template_filter("segments")
def segments(text: str, highlights: list[dict[str, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, is_highlight) runs, so the template can wrap matches in <mark> and escape all."""
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for span in sorted(highlights, key=lambda s: s["start"]):
        start, end = max(span["start"], cursor), min(span["end"], len(text))
        if start >= end:
            continue
        if start > cursor:
            pieces.append((text[cursor:start], False))
        pieces.append((text[start:end], True))
        cursor = end
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return pieces


@web.app_template_filter("link")
def link(url: str | None) -> str | None:
    """The URL if a reader may follow it; a corpus could carry javascript: or data: URLs, which never become links."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None
