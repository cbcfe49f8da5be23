"""Sentence boundaries as character spans, kept as offsets so answers and highlights point into the text."""

from __future__ import annotations

import re

# Words whose trailing full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "dr prof mr mrs ms st sr jr vs etc al fig figs eg ie cf no vol pp approx dept univ inc ltd co corp est c ca".split()
)
_CANDIDATE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)|\n\s*\n")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]*[A-Z0-9]")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split text into sentences; each span is [start, end) with surrounding white space trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        end = match.end()
        if match.group().strip() and not _ends_sentence(text, start, match.start(), end):
            continue
        _add_trimmed(spans, text, start, end)
        start = end
    _add_trimmed(spans, text, start, len(text))
    return spans


def _ends_sentence(text: str, start: int, mark: int, end: int) -> bool:
    if not _NEXT_START.match(text, end):
        return False
    # A full stop inside unclosed brackets ("(c. 1901)", "(e.g. IBM)") ends no sentence.
    if text.count("(", start, mark) > text.count(")", start, mark):
        return False
    if text[mark] != ".":
        return True
    word = re.search(r"(\w+)$", text[max(0, mark - 20) : mark])
    if word is None:
        return True
    token = word.group(1)
    if token.lower() in _ABBREVIATIONS:
        return False
    # An initial ("J. Smith"), or the last letter of "e.g." or "U.S.", is not a sentence end.
    return not (len(token) == 1 and token.isalpha())


def _add_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
