"""A post read twice (the same id, from its url when it has one) is merged into one."""

from __future__ import annotations

from dataclasses import replace

from index.ingest.entries import Found
from index.records import Post


def merge(first: Found, second: Found) -> Found:
    """The first post with the gaps filled from the second, where it is kept."""
    return replace(first, post=filled(first.post, second.post))


def filled(first: Post, second: Post) -> Post:
    """Keep the first post's fields and fill the ones it lacks from the second; tags combined, the longer text."""
    fields = {
        name: getattr(second, name)
        for name in ("title", "author", "url", "published", "source")
        if getattr(first, name) is None and getattr(second, name) is not None
    }
    tags = tuple(dict.fromkeys(first.tags + second.tags))
    text = second.text if len(second.text) > len(first.text) else first.text
    return replace(first, **fields, tags=tags, text=text)
