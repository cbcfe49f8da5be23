"""What posts, pages and facets cost: /api/search's engine call as it was (the k best passages) beside today's
default (posts that match, counted, a page of them) and with facets, alternating question by question in one run."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.listing import listing
from index.request import FACETS, SearchRequest
from index.search import Index
from index.vectors import use_one_thread_per_request


def _passages(index: Index, query: str) -> object:
    return [hit.to_json() for hit in index.search(SearchRequest(query))]


def _listed(**shape: Any) -> Callable[[Index, str], object]:
    def run(index: Index, query: str) -> object:
        found = listing(index, SearchRequest(query, **shape))
        return [hit.to_json() for hit in found.hits], found.total, found.facets

    return run


# Each as /api/search runs it, JSON included: the query embedded each time, as the service does.
VARIANTS: dict[str, Callable[[Index, str], object]] = {
    "passages": _passages,
    "group_passage": _listed(group="passage"),
    "posts": _listed(),
    "posts_facets": _listed(facets=FACETS),
}


def listing_speed(
    index_dir: Path, questions_file: Path, rounds: int = 5, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """p50 and p90 per query (ms, one thread) of each variant, and each p50 over the passages' p50."""
    use_one_thread_per_request()
    index = Index.open(index_dir)
    with questions_file.open(encoding="utf-8") as handle:
        questions = [json.loads(line)["q"] for line in handle if line.strip()]
    for question in questions[:10]:
        for run in VARIANTS.values():
            run(index, question)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    order = list(VARIANTS.items())
    for number in range(rounds):
        for question in questions:
            for name, run in order[:: 1 if number % 2 else -1]:
                started = time.perf_counter()
                run(index, question)
                times[name].append(1000 * (time.perf_counter() - started))
        say(f"round {number + 1} of {rounds}")
    result: dict[str, Any] = {"index": str(index_dir), "questions": len(questions), "rounds": rounds}
    for name, values in times.items():
        result[f"{name}_p50_ms"] = round(statistics.median(values), 3)
        result[f"{name}_p90_ms"] = round(statistics.quantiles(values, n=10)[-1], 3)
    for name in VARIANTS:
        result[f"{name}_p50_ratio"] = round(result[f"{name}_p50_ms"] / result["passages_p50_ms"], 3)
    return result
