"""A post read twice (the same id, from its url when it has one): merged when both agree it is the same post."""

from __future__ import annotations

from dataclasses import replace

from index.errors import CorpusError
from index.ingest.entries import Found
from index.ingest.ids import normalise_url
from index.records import Post


def merge(first: Found, second: Found) -> Found:
    """The first post with the gaps filled from the second, where it is kept; a second post that only shares the
    id (another url or title) is a CorpusError naming both."""
    differences = _differences(first.post, second.post)
    if differences:
        raise CorpusError(
            second.source,
            second.line,
            f"post id {first.post.id!r} is used by two different posts, {first.describe()} and {second.describe()} "
            f"({'; '.join(differences)}): give one of them its own id or url, or make their urls and titles agree",
        )
    return replace(first, post=filled(first.post, second.post))


def _differences(first: Post, second: Post) -> list[str]:
    """Where two posts disagree on url or title; a field one of them lacks agrees with anything."""
    differences = []
    if first.url and second.url and normalise_url(first.url) != normalise_url(second.url):
        differences.append(f"url {first.url!r} against {second.url!r}")
    if first.title and second.title and _comparable(first.title) != _comparable(second.title):
        differences.append(f"title {first.title[:60]!r} against {second.title[:60]!r}")
    return differences


def _comparable(title: str) -> str:
    return " ".join(title.split()).casefold()


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
