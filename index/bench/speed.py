"""The benchmark behind scripts/bench.py: our build, server and engine side by side with their baselines."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

from index.bench.server import process_tree, production_server, sequential_latencies_ms, throughput_qps
from index.build import build
from index.evaluation.beir import load_beir
from index.model.spec import verified_model_dir
from index.passages import embedding_text
from index.request import SearchRequest
from index.search import Index


@dataclass(frozen=True)
class BenchSettings:
    concurrency: tuple[int, ...] = (1, 4, 16)
    seconds_per_load: float = 10.0
    warmup_seconds: float = 3.0
    max_posts: int | None = None
    max_queries: int | None = None


# Turns our engine and txtai take over the queries in the in-process comparison.
ROUNDS = 3


def run_benchmark(
    beir_dir: Path, work_dir: Path, settings: BenchSettings = BenchSettings(), say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Build, serve and query the corpus, each against its baseline, one after another so none competes for CPU."""
    dataset = load_beir(beir_dir)
    posts = dataset.posts[: settings.max_posts]
    queries = list(dataset.queries.values())[: settings.max_queries]
    root = work_dir / "index"
    say(f"building {len(posts)} posts of {dataset.name} into {root} ...")
    summary = build(posts, root)
    index = Index.open(root)
    texts = [embedding_text(index.posts[p.post_id], p) for p in index.passages]
    say(f"embedding the same {len(texts)} passages with plain SentenceTransformer.encode ...")
    baseline_pps = len(texts) / _sentence_transformers_seconds(texts)
    result: dict[str, Any] = {
        "dataset": dataset.name,
        "posts": len(posts),
        "passages": len(texts),
        "queries": len(queries),
        "build_passages_per_s": round(summary.passages_per_s, 1),
        "st_passages_per_s": round(baseline_pps, 1),
        "build_speedup_vs_sentence_transformers": round(summary.passages_per_s / baseline_pps, 2),
    }
    result |= _serve(root, work_dir, queries, settings, say)
    result |= _engine_against_txtai(index, texts, queries, say)
    return result


def _serve(
    root: Path, work_dir: Path, queries: list[str], settings: BenchSettings, say: Callable[[str], None]
) -> dict[str, Any]:
    say("starting the production server ...")
    with production_server(root, work_dir / "server.log") as server:
        # Warm every worker (the first answers /readyz while the others may still be loading).
        throughput_qps(server, queries, max(settings.concurrency), settings.warmup_seconds)
        say(f"sequential /api/search over {len(queries)} queries ...")
        # Passages, as /api/search answered before posts, pages and facets (issue 19), so the figure stays comparable;
        # then today's default request (posts, counted) with every facet, the second figure.
        latencies = sequential_latencies_ms(server, queries, {"group": "passage"})
        listed = sequential_latencies_ms(server, queries, {"facets": "author,tag,year"})
        result: dict[str, Any] = {
            "http_p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "http_p95_ms": round(float(np.percentile(latencies, 95)), 2),
            "http_p99_ms": round(float(np.percentile(latencies, 99)), 2),
            "http_posts_facets_p50_ms": round(float(np.percentile(listed, 50)), 2),
        }
        for clients in settings.concurrency:
            say(f"{clients} concurrent clients for {settings.seconds_per_load:g} s ...")
            result[f"qps_c{clients}"] = round(throughput_qps(server, queries, clients, settings.seconds_per_load), 1)
        result |= server.memory_mb()
        result["workers"] = len(process_tree(server.process.pid)) - 1
        result["ready_s"] = round(server.ready_s, 2)
    return result


def _engine_against_txtai(
    index: Index, texts: list[str], queries: list[str], say: Callable[[str], None], rounds: int = ROUNDS
) -> dict[str, Any]:
    """Per-query time in this process: our Index.search (as the service runs it) against txtai's search.

    The two take turns, `rounds` times, and each side's median round counts: the host's speed drifts over a run
    (by 15% between passes on this shared machine), and turns expose both sides to the same drift.
    """
    say(f"indexing the same {len(texts)} passages with txtai ...")
    embeddings = _txtai_embeddings(texts)
    hybrid, dense, theirs = [], [], []
    for turn in range(1, rounds + 1):
        say(f"round {turn} of {rounds}: our engine (hybrid, dense), then txtai, over {len(queries)} queries ...")
        hybrid.append(_one_thread_mean_ms(lambda q: index.search(SearchRequest(q, k=10)), queries))
        dense.append(_one_thread_mean_ms(lambda q: index.search(SearchRequest(q, k=10, mode="dense")), queries))
        theirs.append(_mean_ms(lambda q: embeddings.search(q, 10), queries))
    ours_hybrid, ours_dense, txtai = (float(np.median(times)) for times in (hybrid, dense, theirs))
    return {
        "ours_hybrid_ms": round(ours_hybrid, 2),
        "ours_dense_ms": round(ours_dense, 2),
        "txtai_ms": round(txtai, 2),
        "speedup_vs_txtai": round(txtai / ours_hybrid, 2),
        "speedup_vs_txtai_dense": round(txtai / ours_dense, 2),
        "engine_rounds_ms": {"hybrid": _rounded(hybrid), "dense": _rounded(dense), "txtai": _rounded(theirs)},
    }


def _one_thread_mean_ms(search: Callable[[str], object], queries: list[str]) -> float:
    """_mean_ms on one thread, as each request runs in the server (use_one_thread_per_request); txtai keeps its
    own defaults."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        with threadpool_limits(1):
            return _mean_ms(search, queries)
    finally:
        faiss.omp_set_num_threads(threads)


def _rounded(times: list[float]) -> list[float]:
    return [round(t, 2) for t in times]


def _mean_ms(search: Callable[[str], object], queries: list[str]) -> float:
    for query in queries[:10]:
        search(query)
    started = time.perf_counter()
    for query in queries:
        search(query)
    return 1000 * (time.perf_counter() - started) / len(queries)


def _sentence_transformers_seconds(texts: list[str]) -> float:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(verified_model_dir()), device="cpu", local_files_only=True)
    model.encode(texts[:8], normalize_embeddings=True)
    started = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    return time.perf_counter() - started


def _txtai_embeddings(texts: list[str]) -> Any:
    from txtai import Embeddings

    embeddings = Embeddings(path=str(verified_model_dir()), method="sentence-transformers", content=False)
    embeddings.index([(position, text, None) for position, text in enumerate(texts)])
    return embeddings
