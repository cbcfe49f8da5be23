"""What the search page shows around its results: the count, the pages, the order and the facets as filter links,
each link the current search with one thing changed (always back to page 1, but for the page links)."""

from __future__ import annotations

import math
from typing import Any

from flask import request, url_for

from index.listing import Listing
from index.request import SearchRequest

FACET_LABELS = {"author": ("Author", "author"), "tag": ("Tag", "tag"), "year": ("Year", "year")}


def browsing(found: Listing, asked: SearchRequest) -> dict[str, Any]:
    """The template's total, pages, page links, order links and facets."""
    pages = math.ceil(found.total / asked.k)
    return {
        "total": found.total,
        "total_exact": found.total_exact,
        "group": asked.group,
        "page": asked.page,
        "pages": pages,
        "previous_url": linked(page=min(asked.page - 1, max(pages, 1))) if asked.page > 1 else None,
        "next_url": linked(page=asked.page + 1) if asked.page < pages else None,
        "sort": asked.sort,
        "sort_urls": {"relevance": linked(sort=None), "date": linked(sort="date")},
        "facets": [_facet(name, values, asked) for name, values in found.facets.items() if values],
    }


def linked(**changes: Any) -> str:
    """This page's URL with these parameters changed (None: removed); a change other than the page's goes back to
    page 1."""
    args: dict[str, Any] = request.args.to_dict()
    if "page" not in changes:
        args.pop("page", None)
    for name, value in changes.items():
        if value is None or (name == "page" and value == 1):
            args.pop(name, None)
        else:
            args[name] = str(value)
    return url_for(request.endpoint or "web.page", **args)


def _facet(name: str, values: list[tuple[str, int]], asked: SearchRequest) -> dict[str, Any]:
    label, noun = FACET_LABELS[name]
    filters = asked.filters
    if name == "year":
        active = {
            value
            for value, _ in values
            if filters.published_from == f"{value}-01-01" and filters.published_to == f"{value}-12-31"
        }
        clear = linked(**{"from": None, "to": None}) if filters.published_from or filters.published_to else None
        urls = {value: linked(**{"from": f"{value}-01-01", "to": f"{value}-12-31"}) for value, _ in values}
    else:
        chosen = getattr(filters, name)
        active = {value for value, _ in values if chosen is not None and value.casefold() == chosen.casefold()}
        clear = linked(**{name: None}) if chosen else None
        urls = {value: linked(**{name: value}) for value, _ in values}
    return {
        "name": name,
        "label": label,
        "noun": noun,
        "clear_url": clear,
        "options": [
            {"value": value, "count": count, "url": urls[value], "current": value in active} for value, count in values
        ],
    }
