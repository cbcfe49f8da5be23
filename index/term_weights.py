"""How much each of a query's terms matters (BM25's idf over the passages), for scoring sentences by overlap."""

from __future__ import annotations

import math

from index.lexical import LexicalIndex, analyse


def query_term_weights(lexical: LexicalIndex, query: str) -> dict[str, float]:
    """Each stemmed, stop-word-free query term with its idf; a term no passage has gets the highest idf."""
    documents = lexical.size
    weights = {}
    for term in dict.fromkeys(analyse([query])[0]):
        frequency = lexical.document_frequency(term)
        weights[term] = math.log(1.0 + (documents - frequency + 0.5) / (frequency + 0.5))
    return weights


def coverage(weights: dict[str, float], terms: set[str]) -> float:
    """The idf-weighted share of the query's terms that a sentence contains, 0 to 1."""
    total = sum(weights.values())
    return sum(w for term, w in weights.items() if term in terms) / total if total > 0 else 0.0
