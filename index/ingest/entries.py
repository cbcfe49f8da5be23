"""What readers yield: a post with where in its file it was found, or an entry passed over and why."""

from __future__ import annotations

from dataclasses import dataclass

from index.records import Post


@dataclass(frozen=True)
class Found:
    """A post and its place in the source, which messages name but the stored Post has no field for."""

    post: Post
    source: str
    where: str
    line: int | None = None
    # The text's length before the size cap cut it, when a reader cut it on reading (to free a huge text at once).
    cut_from: int | None = None

    def describe(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else f"{self.source} ({self.where})"


@dataclass(frozen=True)
class Skipped:
    """An entry of a source that is deliberately not indexed (a draft, a page, an empty body).

    `reason` is the same for every entry skipped for the same cause, so the build can count entries by it;
    `detail` is what is particular to this one (a date, a note on how to include it).
    """

    source: str
    where: str
    reason: str
    detail: str = ""

    def describe(self) -> str:
        parts = [self.source, self.where, self.reason, self.detail]
        return ": ".join(part for part in parts if part)
