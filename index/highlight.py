"""Spans of a passage that match the query: its best sentence and the query's terms, as character offsets."""

from __future__ import annotations

import re

from index.lexical import analyse, analyse_word
from index.sentences import sentence_spans
from index.term_weights import coverage

_WORD = re.compile(r"\w+")


def term_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Every word of text whose stem is one of the query's (stop words never match)."""
    wanted = set(analyse([query])[0])
    if not wanted:
        return []
    return [(m.start(), m.end()) for m in _WORD.finditer(text) if analyse_word(m.group()) in wanted]


def best_sentence(text: str, weights: dict[str, float]) -> tuple[int, int] | None:
    """The sentence holding the largest idf-weighted share of the query's terms (the first on a tie), if any.

    Words, not the model: a search page must stay fast, and per-result model calls would not.
    """
    spans = sentence_spans(text)
    if not spans or not weights:
        return None
    shares = [coverage(weights, set(terms)) for terms in analyse([text[s:e] for s, e in spans])]
    best = max(range(len(spans)), key=shares.__getitem__)
    return spans[best] if shares[best] > 0 else None


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans covering the same characters."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
