"""What the answer decision costs: /api/answer's engine call with today's evidence and confidence, side by side in
one run with the same call without them (ranking only: no asked-for type, no candidate scored)."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.answer import AnswerSettings, answer_question
from index.request import SearchRequest
from index.search import Index
from index.vectors import use_one_thread_per_request

BASELINE = AnswerSettings(answer_type=0.0, scored=0)


def answer_speed(
    index_dir: Path, questions_file: Path, rounds: int = 5, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """p50 and p90 per question (ms, one thread, the question embedded each time as the service does), alternating
    the two settings question by question so the machine's noise falls on both alike."""
    use_one_thread_per_request()
    index = Index.open(index_dir)
    with questions_file.open(encoding="utf-8") as handle:
        questions = [json.loads(line)["q"] for line in handle if line.strip()]
    for question in questions[:10]:
        answer_question(index, SearchRequest(question))
    times: dict[str, list[float]] = {"today": [], "baseline": []}
    for number in range(rounds):
        for question in questions:
            for name, settings in (("today", AnswerSettings()), ("baseline", BASELINE))[:: 1 if number % 2 else -1]:
                started = time.perf_counter()
                answer_question(index, SearchRequest(question), settings)
                times[name].append(1000 * (time.perf_counter() - started))
        say(f"round {number + 1} of {rounds}")
    result: dict[str, Any] = {"index": str(index_dir), "questions": len(questions), "rounds": rounds}
    for name, values in times.items():
        result[f"{name}_p50_ms"] = round(statistics.median(values), 3)
        result[f"{name}_p90_ms"] = round(statistics.quantiles(values, n=10)[-1], 3)
    result["p50_ratio"] = round(result["today_p50_ms"] / result["baseline_p50_ms"], 3)
    return result
