"""Filters on author, tag and publication date, turned into the set of passages a search may return."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.errors import QueryError
from index.ingest.ids import iso_date
from index.records import Passage, Post


@dataclass(frozen=True)
class Filters:
    """All given conditions must hold; dates are inclusive ISO 8601 dates."""

    author: str | None = None
    tag: str | None = None
    published_from: str | None = None
    published_to: str | None = None

    def __post_init__(self) -> None:
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value is not None and not _is_date(value):
                raise QueryError("bad_date", f"{name} must be an ISO 8601 date such as 2024-03-01")

    def active(self) -> bool:
        return any(v is not None for v in (self.author, self.tag, self.published_from, self.published_to))

    def accepts(self, post: Post) -> bool:
        if self.author is not None and (post.author or "").casefold() != self.author.casefold():
            return False
        if self.tag is not None and self.tag.casefold() not in {t.casefold() for t in post.tags}:
            return False
        if self.published_from is not None or self.published_to is not None:
            if post.published is None:
                return False
            day = post.published[:10]
            if self.published_from is not None and day < self.published_from[:10]:
                return False
            if self.published_to is not None and day > self.published_to[:10]:
                return False
        return True

    def allowed(self, passages: list[Passage], posts: dict[str, Post]) -> np.ndarray | None:
        """Ids of the passages whose post passes, or None when no filter is set."""
        if not self.active():
            return None
        accepted = {post_id for post_id, post in posts.items() if self.accepts(post)}
        return np.array([i for i, p in enumerate(passages) if p.post_id in accepted], dtype=np.int64)


def _is_date(value: str) -> bool:
    try:
        return iso_date(value, "query", None) is not None
    except Exception:
        return False
