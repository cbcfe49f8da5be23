"""Spans of a passage that match the query's terms, as character offsets into the passage text."""

from __future__ import annotations

import re

from index.lexical import analyse

_WORD = re.compile(r"\w+")


def term_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Every word of text whose stem is one of the query's (stop words never match)."""
    wanted = set(analyse([query])[0])
    if not wanted:
        return []
    words = list(_WORD.finditer(text))
    stems = analyse([m.group() for m in words])
    return [(m.start(), m.end()) for m, stem in zip(words, stems, strict=True) if stem and stem[0] in wanted]


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans covering the same characters."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
