"""Ranking metrics as BEIR reports them (pytrec_eval definitions): nDCG@k, Recall@k, MRR@k, averaged per query."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Run = Mapping[str, Sequence[str]]
Qrels = Mapping[str, Mapping[str, int]]


def ndcg(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    """Graded gain over log2(rank + 1), divided by the ideal ordering's; 0 when nothing is relevant."""
    gain = sum(judged.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], start=1))
    ideal_grades = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    ideal = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal_grades, start=1))
    return gain / ideal if ideal > 0 else 0.0


def recall(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    return len(relevant.intersection(ranking[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranking: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    for rank, doc in enumerate(ranking[:k], start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def mean_metrics(run: Run, qrels: Qrels) -> dict[str, float]:
    """The mean of each metric over every judged query (a query with no results counts as 0)."""
    if not qrels:
        return {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    for qid, judged in qrels.items():
        ranking = run.get(qid, ())
        totals["ndcg@10"] += ndcg(ranking, judged, 10)
        totals["recall@100"] += recall(ranking, judged, 100)
        totals["mrr@10"] += reciprocal_rank(ranking, judged, 10)
    return {name: value / len(qrels) for name, value in totals.items()}
