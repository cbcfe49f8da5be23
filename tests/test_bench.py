"""scripts/bench.py's in-process comparison: turns between our engine and the baseline, medians, one thread."""

from __future__ import annotations

import statistics

import faiss
import pytest
from threadpoolctl import threadpool_info

from index import Index, SearchRequest
from index.bench import speed


class StubBaseline:
    """Stands in for txtai's Embeddings (a bench-only extra): records what it is asked, and when."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def search(self, query: str, limit: int) -> list:
        self.log.append(f"baseline:{query}")
        return []


def test_engine_and_baseline_take_turns_and_medians_count(seed_index: Index, monkeypatch: pytest.MonkeyPatch):
    log: list[str] = []
    monkeypatch.setattr(speed, "_txtai_embeddings", lambda texts: StubBaseline(log))
    ours = seed_index.search
    seen_threads = []

    def search(request: SearchRequest):
        seen_threads.append((faiss.omp_get_max_threads(), {p["num_threads"] for p in threadpool_info()}))
        log.append(f"ours:{request.mode}")
        return ours(request)

    monkeypatch.setattr(seed_index, "search", search)
    threads_before = faiss.omp_get_max_threads()
    queries = ["leadership", "nature and wellbeing"]
    result = speed._engine_against_txtai(seed_index, ["text"], queries, say=lambda _: None, rounds=3)

    # Each round: warm-up (up to 10 queries) and the timed pass, hybrid, then dense, then the baseline.
    per_side = 2 * len(queries)
    round_log = ["ours:hybrid"] * per_side + ["ours:dense"] * per_side + [f"baseline:{q}" for q in queries * 2]
    assert log == round_log * 3
    assert all(omp == 1 and blas == {1} for omp, blas in seen_threads), "our engine runs on one thread, as served"
    assert faiss.omp_get_max_threads() == threads_before
    rounds = result["engine_rounds_ms"]
    assert [len(rounds[side]) for side in ("hybrid", "dense", "txtai")] == [3, 3, 3]
    assert result["ours_hybrid_ms"] == pytest.approx(statistics.median(rounds["hybrid"]), abs=0.01)
    assert result["txtai_ms"] == pytest.approx(statistics.median(rounds["txtai"]), abs=0.01)
    assert result["speedup_vs_txtai"] == pytest.approx(result["txtai_ms"] / result["ours_hybrid_ms"], rel=0.05)


def test_answer_speed_times_both_settings_on_the_same_questions(index_root, tmp_path):
    from index.bench.answers import answer_speed

    questions = tmp_path / "q.jsonl"
    questions.write_text('{"q": "Who is Professor of Leadership at Henley?"}\n{"q": "What is productivity?"}\n')
    lines: list[str] = []
    result = answer_speed(index_root, questions, rounds=2, say=lines.append)
    assert result["questions"] == 2 and lines == ["round 1 of 2", "round 2 of 2"]
    assert result["today_p50_ms"] > 0 and result["baseline_p50_ms"] > 0
    assert result["p50_ratio"] == round(result["today_p50_ms"] / result["baseline_p50_ms"], 3)


def test_analytics_cost_runs_both_servers_in_turn(index_root, tmp_path):
    from index.bench.analytics import analytics_cost

    queries = tmp_path / "q.jsonl"
    queries.write_text("".join(f'{{"q": "leadership {n}"}}\n' for n in range(25)))
    result = analytics_cost(index_root, queries, rounds=2, say=lambda line: None)
    assert len(result["analytics_on_round_p50s_ms"]) == len(result["analytics_off_round_p50s_ms"]) == 2
    assert result["p50_ratio"] == round(result["analytics_on_p50_ms"] / result["analytics_off_p50_ms"], 3)


def test_listing_speed_times_every_variant_on_the_same_queries(index_root, tmp_path):
    from index.bench.listing import VARIANTS, listing_speed

    queries = tmp_path / "q.jsonl"
    queries.write_text('{"q": "leadership in the NHS"}\n{"q": "health inequalities"}\n')
    lines: list[str] = []
    result = listing_speed(index_root, queries, rounds=2, say=lines.append)
    assert result["questions"] == 2 and lines == ["round 1 of 2", "round 2 of 2"]
    for name in VARIANTS:
        assert result[f"{name}_p50_ms"] > 0
        assert result[f"{name}_p50_ratio"] == round(result[f"{name}_p50_ms"] / result["passages_p50_ms"], 3)
