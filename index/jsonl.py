"""Reading JSON Lines: each non-blank line parsed on its own, one line in memory at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class LineError(ValueError):
    """A line that cannot be read, by its number (from 1); `cause` is the UnicodeDecodeError or json.JSONDecodeError,
    or None for a line over the length limit. Callers turn it into their own error, naming file and line."""

    def __init__(self, line: int, cause: ValueError | None, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.cause = cause


def rows(path: Path, max_line_bytes: int | None = None) -> Iterator[tuple[int, Any]]:
    """Each non-blank line's number and parsed value; a parse is freed before the next line is read.

    A line longer than max_line_bytes is refused before it is decoded: parsing holds a line about three times over.
    """
    with path.open("rb") as handle:
        number = 0
        while raw := handle.readline(-1 if max_line_bytes is None else max_line_bytes + 1):
            number += 1
            if max_line_bytes is not None and len(raw) > max_line_bytes:
                raise LineError(number, None, f"line longer than {max_line_bytes:,} bytes")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise LineError(number, exc, str(exc)) from None
            del raw  # a line can be a hundred megabytes: hold it once, as text, until it is parsed
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise LineError(number, exc, str(exc)) from None
            del text
            yield number, value
