"""The index version a request is served from, shared by every blueprint that reads the index."""

from __future__ import annotations

from flask import current_app, g

from index import Index


def served_index() -> Index:
    """The index this request uses, taken once per request: a reload mid-request never mixes two versions."""
    if "search_index" not in g:
        g.search_index = current_app.extensions["served_index"].current()
    return g.search_index
