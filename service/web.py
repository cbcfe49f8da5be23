"""The search page and its embeddable box: results rendered on the server, so both work without JavaScript."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from index.errors import QueryError
from index.request import FACETS, is_blank
from service.browsing import browsing
from service.errors import ApiError
from service.listings import answer_listing
from service.params import search_request
from service.ratelimit import retry_after, search_allowed
from service.recording import record_query
from service.serving import served_index

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
    started = time.perf_counter()
    raw = request.args.get("q", "")
    try:
        index = served_index()
    except ApiError as exc:  # this process has no index yet: say so on the page
        return (
            render_template(template, query=raw, error=exc.message, k_limit=k_limit, posts=0),
            exc.status,
            exc.headers,
        )
    context: dict[str, Any] = {
        "query": raw,
        "results": None,
        "answer": None,
        "error": None,
        "k_limit": k_limit,
        "posts": index.manifest.posts,
        "filtered": any(request.args.get(name) for name in FILTER_PARAMS),
        "query_id": "",
    }
    # Nothing to search for (spaces, control characters, invisible marks): the empty page, as the API's empty_query.
    # A HEAD (a link checker) gets the page's headers without a search.
    if is_blank(raw) or request.method == "HEAD":
        return render_template(template, **context)
    # The page searches and answers as /api/answer does, so it spends the same per-client budget.
    wait = search_allowed()
    if wait > 0:
        message = f"Too many searches from your address; try again in {math.ceil(wait)} seconds."
        return render_template(template, **{**context, "error": message}), 429, retry_after(wait)
    try:
        asked = search_request()
        # The page always counts its facets; the sidebar box has no room for them.
        asked = replace(asked, facets=FACETS) if k_limit is None else replace(asked, k=min(asked.k, k_limit))
        result, found = answer_listing(index, asked)
    except QueryError as exc:
        return render_template(template, **{**context, "error": exc.message}), 400
    endpoint = "embed" if k_limit is not None else "page"
    ids = [hit.post.id for hit in result.hits]
    context.update(
        query_id=record_query(endpoint, asked.query, ids, result.answer is not None, started),
        query=asked.query,
        answer=result.answer.to_json() if result.answer else None,
        results=[hit.to_json() for hit in result.hits],
        **browsing(found, asked),
    )
    return render_template(template, **context)


Pieces = list[tuple[str, bool]]


@web.app_template_filter("segments")
def segments(text: str, highlights: list[dict[str, Any]]) -> list[tuple[bool, Pieces]]:
    """The text as runs outside and inside the best sentence, each cut into (piece, is_term) pieces.

    The template wraps the sentence and the terms in markup and escapes every piece; spans of other kinds than
    "sentence" are marked as terms, so a highlight of a kind added later still shows.
    """
    sentence = next(((h["start"], h["end"]) for h in highlights if h.get("kind") == "sentence"), None)
    terms = sorted((h["start"], h["end"]) for h in highlights if h.get("kind") != "sentence")
    if sentence is None:
        bounds = [(0, len(text), False)]
    else:
        start, end = max(0, sentence[0]), min(len(text), sentence[1])
        bounds = [(0, start, False), (start, end, True), (end, len(text), False)]
    return [(best, _pieces(text, start, end, terms)) for start, end, best in bounds if start < end]


def _pieces(text: str, start: int, end: int, terms: list[tuple[int, int]]) -> Pieces:
    pieces: Pieces = []
    cursor = start
    for term_start, term_end in terms:
        term_start, term_end = max(term_start, cursor), min(term_end, end)
        if term_start >= term_end:
            continue
        if term_start > cursor:
            pieces.append((text[cursor:term_start], False))
        pieces.append((text[term_start:term_end], True))
        cursor = term_end
    if cursor < end:
        pieces.append((text[cursor:end], False))
    return pieces


@web.app_template_filter("href")
def href(post: dict[str, Any], query_id: str) -> str | None:
    """Where a result's link goes: through /r/<query id>/<post id> when the search was logged (the click is counted,
    then the reader is sent on to the same URL), else straight to the post's URL."""
    target = link(post.get("url"))
    if target is None or not query_id:
        return target
    return url_for("insights.follow", query_id=query_id, post_id=post["id"])


SNIPPET_CHARS = 200


@web.app_template_filter("snippet")
def snippet(text: str, highlights: list[dict[str, Any]]) -> tuple[Pieces, bool]:
    """A passage in brief: its best sentence, or else its first SNIPPET_CHARS characters (cut at a space), as
    (piece, is_term) pieces, and whether it was cut short; search.js cuts the same way."""
    sentence = next(((h["start"], h["end"]) for h in highlights if h.get("kind") == "sentence"), None)
    terms = sorted((h["start"], h["end"]) for h in highlights if h.get("kind") != "sentence")
    if sentence is not None:
        start, end = max(0, sentence[0]), min(len(text), sentence[1])
        return _pieces(text, start, end, terms), False
    if len(text) <= SNIPPET_CHARS:
        return _pieces(text, 0, len(text), terms), False
    space = text.rfind(" ", 0, SNIPPET_CHARS + 1)
    end = space if space > 0 else SNIPPET_CHARS
    return _pieces(text, 0, end, terms), True


@web.app_template_filter("link")
def link(url: str | None) -> str | None:
    """The URL if a reader may follow it; a corpus could carry javascript: or data: URLs, which never become links."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None
