"""Spans of a passage that match the query: its best sentence and the query's terms, as character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from index.lexical import analyse_word, query_terms
from index.sentences import sentence_spans


@dataclass(frozen=True)
class QueryTerms:
    """A query's weighted terms and a pattern that finds, in C, every word that may stem to one of them.

    A Snowball English stem less its last letter begins every word it comes from (checked on all 812k words of
    BEIR SciFact: the one exception was "dying", whose stem "die" is why a stem ending in "ie" also looks for
    "-y"); each word the pattern finds is then stemmed and kept only if its stem is a query term.
    """

    weights: dict[str, float]
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, weights: dict[str, float]) -> QueryTerms:
        prefixes = {stem[:-1] if len(stem) > 2 else stem for stem in weights}
        prefixes |= {stem[:-2] + "y" for stem in weights if stem.endswith("ie") and len(stem) > 2}
        if not prefixes:
            return cls(weights, None)
        alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
        # No \b in front: it kept the engine from skipping ahead to a prefix's first letters, and matching took
        # twice as long; `matches` drops a match that starts inside a word instead.
        return cls(weights, re.compile(rf"(?:{alternatives})\w*"))

    @cached_property
    def any_case(self) -> re.Pattern[str]:
        """The pattern ignoring case, for the rare text whose lower-cased copy has other offsets (compiled once)."""
        assert self.pattern is not None, "only asked for when there is a pattern (see matches)"
        return re.compile(self.pattern.pattern, re.IGNORECASE)

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of every word of text whose stem is a query term (stop words never match)."""
        if self.pattern is None:
            return []
        lowered = text.lower()
        # Matching the lower-cased copy is twice as fast as ignoring case, but only while offsets stay the same.
        same_offsets = len(lowered) == len(text)
        source = lowered if same_offsets else text
        found = []
        for match in self.pattern.finditer(lowered) if same_offsets else self.any_case.finditer(text):
            start = match.start()
            if start and (source[start - 1].isalnum() or source[start - 1] == "_"):
                continue  # inside a word (\w is a letter, a digit or "_"): not a word of its own
            term = analyse_word(match.group())
            if term in self.weights:
                found.append((match.start(), match.end(), term))
        return found


def highlight(
    text: str, query: QueryTerms, sentences: list[tuple[int, int]] | None = None
) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """The spans of the query's words and the best sentence (see best_sentence) in one pass over the text.

    sentences are the text's sentence spans when the caller has them stored; otherwise they are split here.
    """
    matches = query.matches(text)
    if not matches:
        return [], None
    spans = sentence_spans(text) if sentences is None else sentences
    words = [(start, end) for start, end, _ in matches]
    if not spans:  # stored offsets with no sentence for this text: the words still count
        return words, None
    held: list[set[str]] = [set() for _ in spans]
    number = 0
    for start, _, term in matches:
        while number < len(spans) - 1 and start >= spans[number][1]:
            number += 1
        held[number].add(term)
    # coverage(), without its sum for each sentence: most sentences hold no term at all.
    total = sum(query.weights.values())
    shares = [
        sum(w for term, w in query.weights.items() if term in terms) / total if terms and total > 0 else 0.0
        for terms in held
    ]
    best = max(range(len(spans)), key=shares.__getitem__)
    return words, spans[best] if shares[best] > 0 else None


def term_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Every word of text whose stem is one of the terms BM25 ranks the query by (never a query stop word)."""
    return highlight(text, QueryTerms.of(dict.fromkeys(query_terms(query), 1.0)))[0]


def best_sentence(text: str, weights: dict[str, float]) -> tuple[int, int] | None:
    """The sentence holding the largest idf-weighted share of the query's terms (the first on a tie), if any.

    Words, not the model: a search page must stay fast, and per-result model calls would not.
    """
    return highlight(text, QueryTerms.of(weights))[1]
