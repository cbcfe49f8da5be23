"""How much each of a query's terms matters (BM25's idf over the passages), for scoring sentences by overlap."""

from __future__ import annotations

import math

from index.lexical import LexicalIndex, query_terms


def query_term_weights(lexical: LexicalIndex, query: str) -> dict[str, float]:
    """Each query term BM25 ranks by (lexical.query_terms) with its idf: the terms a result highlights."""
    return term_weights(lexical, query_terms(query))


def term_weights(lexical: LexicalIndex, terms: list[str]) -> dict[str, float]:
    """Each of these analysed terms with its idf; a term no passage has gets the highest idf."""
    documents = lexical.size
    weights = {}
    for term in dict.fromkeys(terms):
        frequency = lexical.document_frequency(term)
        weights[term] = math.log(1.0 + (documents - frequency + 0.5) / (frequency + 0.5))
    return weights


def coverage(weights: dict[str, float], terms: set[str]) -> float:
    """The idf-weighted share of the query's terms that a sentence contains, 0 to 1."""
    total = sum(weights.values())
    return sum(w for term, w in weights.items() if term in terms) / total if total > 0 else 0.0
