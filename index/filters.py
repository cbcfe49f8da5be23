"""Filters on author, tag and publication date, turned into the set of passages a search may return."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from index.errors import QueryError
from index.records import Passage, Post

# The forms the README lists, and no other ISO 8601 form (20240101, 2024-W01 and 2024-001 are dates too, but
# compared as text they matched nothing or everything).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARAMS = {"published_from": "from", "published_to": "to"}


@dataclass(frozen=True)
class Filters:
    """All given conditions must hold; dates are inclusive, compared as calendar dates (a date-time by its own day)."""

    author: str | None = None
    tag: str | None = None
    published_from: str | None = None
    published_to: str | None = None
    _days: tuple[date | None, date | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        days = tuple(_day_of_bound(_PARAMS[name], getattr(self, name)) for name in _PARAMS)
        object.__setattr__(self, "_days", days)

    def active(self) -> bool:
        return any(v is not None for v in (self.author, self.tag, self.published_from, self.published_to))

    @property
    def days(self) -> tuple[date | None, date | None]:
        """The first and last calendar dates a post may have (None: no bound)."""
        return self._days

    def accepts(self, post: Post) -> bool:
        if self.author is not None and (post.author or "").casefold() != self.author.casefold():
            return False
        if self.tag is not None and self.tag.casefold() not in {t.casefold() for t in post.tags}:
            return False
        first, last = self._days
        if first is not None or last is not None:
            day = day_of_post(post.published)
            if day is None:
                return False
            if first is not None and day < first:
                return False
            if last is not None and day > last:
                return False
        return True

    def allowed(self, passages: list[Passage], posts: dict[str, Post]) -> np.ndarray | None:
        """Ids of the passages whose post passes, or None when no filter is set."""
        if not self.active():
            return None
        accepted = {post_id for post_id, post in posts.items() if self.accepts(post)}
        return np.array([i for i, p in enumerate(passages) if p.post_id in accepted], dtype=np.int64)


def _day_of_bound(param: str, value: str | None) -> date | None:
    """The calendar date of a from/to value in one of the accepted forms; any other value is a QueryError."""
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # a real time of a real day: no 25:00, no 02-30
        return date.fromisoformat(value[:10])
    except ValueError:
        raise QueryError(
            "bad_date",
            f"{param} must be an ISO 8601 date YYYY-MM-DD such as 2024-03-01, or a date-time "
            f"YYYY-MM-DDTHH:MM[:SS[.ffffff]] with an optional Z or ±HH:MM, such as 2024-03-01T09:30:00Z; "
            f"got {value[:40]!r}",
        ) from None


def day_of_post(published: str | None) -> date | None:
    """A post's calendar date as its source gave it (a date-time with an offset keeps its own day), or None."""
    if not published or not _DAY.match(published):
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None
