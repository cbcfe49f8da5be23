"""The request body limit: a body longer than MAX_CONTENT_LENGTH is refused with 413 before any route runs."""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge


def install_body_limit(app: Flask) -> None:
    app.before_request(_check_body)


def _check_body() -> None:
    # Flask itself only checks MAX_CONTENT_LENGTH when a route reads the body; no route here does, so a declared
    # length over the limit is refused up front, and an undeclared (chunked) body is never read past it.
    # A pushed post has its own, larger limit; Flask enforces the same limit on an undeclared length as it reads.
    if request.endpoint == "admin.put_post":
        limit = current_app.config["MAX_POST_BYTES"]
        request.max_content_length = limit
        if (request.content_length or 0) > limit:
            raise RequestEntityTooLarge(
                f"the post is over the limit of {limit} bytes (BLOG_SEARCH_MAX_POST_BYTES); a post's text is capped "
                "at 1,000,000 characters"
            )
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(
            f"the request body is over the limit of {limit} bytes; only PUT /admin/posts/<id> takes a body"
        )
