"""How the readers read: whether WordPress pages count as posts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    include_pages: bool = False
