"""Posts as arrays for listings: each passage's post, each post's author, tags, date and year, and facet counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.filters import Filters, day_of_post
from index.records import Passage, Post

# The most frequent authors and tags a facet lists; every year with a matching post is listed, newest first.
FACET_VALUES = 10
NO_DAY = -1


@dataclass(frozen=True)
class Values:
    """One facet's values (casefolded, as the filters compare them) as codes: the name readers see for each code,
    and each post's codes as (post, code) pairs (a post has one author but any number of tags)."""

    names: list[str]
    codes: dict[str, int]
    posts: np.ndarray
    values: np.ndarray
    # Each code's place when the names are sorted (casefolded), for ties between equal counts.
    alphabetical: np.ndarray

    @classmethod
    def of(cls, values_per_post: list[list[str]]) -> Values:
        spellings: dict[str, Counter[str]] = {}
        pairs = []
        for number, values in enumerate(values_per_post):
            for value in dict.fromkeys(v for v in values if v):
                spellings.setdefault(value.casefold(), Counter())[value] += 1
                pairs.append((number, value.casefold()))
        codes = {key: code for code, key in enumerate(spellings)}
        # The spelling most posts use (the first seen on a tie) stands for all of a value's spellings.
        names = [counts.most_common(1)[0][0] for counts in spellings.values()]
        posts = np.array([number for number, _ in pairs], dtype=np.int64)
        order = sorted(range(len(names)), key=lambda code: (names[code].casefold(), names[code]))
        alphabetical = np.empty(len(names), dtype=np.int64)
        alphabetical[order] = np.arange(len(names))
        return cls(names, codes, posts, np.array([codes[key] for _, key in pairs], dtype=np.int64), alphabetical)

    def having(self, value: str | None, count: int) -> np.ndarray:
        """Which posts have the value (casefolded); every post when value is None."""
        if value is None:
            return np.ones(count, dtype=bool)
        found = np.zeros(count, dtype=bool)
        code = self.codes.get(value.casefold())
        if code is not None:
            found[self.posts[self.values == code]] = True
        return found

    def counted(self, among: np.ndarray) -> list[tuple[str, int]]:
        """The FACET_VALUES values most posts among these have, with their counts (ties by name)."""
        counts = np.bincount(self.values[among[self.posts]], minlength=len(self.names))
        best = np.lexsort((self.alphabetical, -counts))[:FACET_VALUES]
        return [(self.names[code], int(counts[code])) for code in best if counts[code] > 0]


class PostTable:
    """An index version's posts, numbered in its posts' order, with what listings sort, filter and count by."""

    def __init__(self, posts: dict[str, Post], passages: list[Passage]) -> None:
        self.ids = list(posts)
        number = {post_id: n for n, post_id in enumerate(self.ids)}
        self.of_passage = np.array([number[p.post_id] for p in passages], dtype=np.int64)
        self.authors = Values.of([[post.author or ""] for post in posts.values()])
        self.tags = Values.of([list(post.tags) for post in posts.values()])
        found = [day_of_post(post.published) for post in posts.values()]
        self.days = np.array([NO_DAY if d is None else d.toordinal() for d in found], dtype=np.int64)
        self.years = np.array([NO_DAY if d is None else d.year for d in found], dtype=np.int64)
        dated = self.years[self.years != NO_DAY]
        self.first_year = int(dated.min()) if len(dated) else 0

    def __len__(self) -> int:
        return len(self.ids)

    def accepted(self, filters: Filters) -> dict[str, np.ndarray]:
        """Which posts pass each kind of filter: author, tag and dates (from/to, the year facet's filter)."""
        first, last = filters.days
        dated = np.ones(len(self), dtype=bool)
        if first is not None or last is not None:
            dated = self.days != NO_DAY
            if first is not None:
                dated &= self.days >= first.toordinal()
            if last is not None:
                dated &= self.days <= last.toordinal()
        return {
            "author": self.authors.having(filters.author, len(self)),
            "tag": self.tags.having(filters.tag, len(self)),
            "year": dated,
        }

    def facets(self, names: tuple[str, ...], matching: np.ndarray, accepted: dict[str, np.ndarray]) -> dict:
        """Each named facet's counts over the matching posts that pass every filter but the facet's own, so that a
        value's count is the total its filter gives in place of the current one."""
        counted: dict[str, list[tuple[str, int]]] = {}
        for name in names:
            among = matching.copy()
            for other, passing in accepted.items():
                if other != name:
                    among &= passing
            if name == "year":
                counts = np.bincount(self.years[among & (self.years != NO_DAY)] - self.first_year)
                counted[name] = [(str(self.first_year + at), int(counts[at])) for at in np.flatnonzero(counts)[::-1]]
            else:
                counted[name] = (self.authors if name == "author" else self.tags).counted(among)
        return counted
