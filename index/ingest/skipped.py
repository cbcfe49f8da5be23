"""What a reader passed over and why: readers yield these beside posts so the build can report them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Skipped:
    """An entry of a source that is deliberately not indexed (a draft, a page, an empty body)."""

    source: str
    where: str
    reason: str

    def describe(self) -> str:
        return f"{self.source}: {self.where}: {self.reason}"
