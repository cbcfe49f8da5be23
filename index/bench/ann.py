"""Recall@10 and latency of the large-corpus FAISS index against exact search, on vectors grown from a real corpus."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.build import BuildSettings
from index.evaluation.beir import load_beir
from index.evaluation.retrieval import open_or_build
from index.model.export import cached_onnx_model
from index.model.onnx_encoder import OnnxEncoder
from index.search import Index
from index.store import MODEL_CACHE_DIR
from index.vectors import VectorIndex, use_one_thread_per_request

NOISE = 0.03


def grown_vectors(seeds: np.ndarray, count: int, seed: int = 42) -> np.ndarray:
    """count unit vectors, each a random blend of two real passage vectors plus Gaussian noise (NOISE per axis).

    Real embeddings of a million texts are out of reach on this machine; blends keep them on the corpus's
    manifold, so neighbours are as close and as crowded as a large corpus of the same kind would make them.
    """
    rng = np.random.default_rng(seed)
    out = np.empty((count, seeds.shape[1]), dtype=np.float32)
    for start in range(0, count, 100_000):
        size = min(100_000, count - start)
        first, second = rng.integers(0, len(seeds), size), rng.integers(0, len(seeds), size)
        weight = rng.random((size, 1), dtype=np.float32)
        block = weight * seeds[first] + (1 - weight) * seeds[second]
        block += NOISE * rng.standard_normal(block.shape, dtype=np.float32)
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def ann_table(
    beir_dir: Path, work_dir: Path, count: int, existing: Path | None = None, say: Callable[[str], None] = print
) -> dict[str, Any]:
    """Build exact and IVF indexes over `count` grown vectors; score the dataset's real test queries on both.

    `existing` is an index of the same corpus to take the passage vectors from instead of building one.
    """
    use_one_thread_per_request()
    dataset = load_beir(beir_dir)
    if existing is not None:
        index = Index.open(existing, encoder=OnnxEncoder(cached_onnx_model(work_dir / MODEL_CACHE_DIR)))
    else:
        index, _ = open_or_build(dataset, work_dir / "index", BuildSettings(), None, progress=False)
    seeds = index.vectors.index.reconstruct_n(0, index.vectors.size)
    queries = index.encoder.encode(list(dataset.queries.values()))
    say(f"growing {count} vectors from {len(seeds)} {dataset.name} passage vectors ...")
    vectors = grown_vectors(seeds, count)
    exact = VectorIndex.build(vectors, exact_limit=count)
    started = time.perf_counter()
    approximate = VectorIndex.build(vectors)
    build_s = time.perf_counter() - started
    say(f"built {approximate.kind} in {build_s:.0f} s; searching {len(queries)} queries ...")
    truth, exact_ms = _search_all(exact, queries)
    result: dict[str, Any] = {
        "vectors": count,
        "index": approximate.kind,
        "build_s": round(build_s, 1),
        "exact_ms": round(exact_ms, 2),
    }
    ivf = approximate.ivf
    assert ivf is not None, f"{count} vectors make an exact index, not IVF"
    default_probes = ivf.nprobe
    for probes in sorted({default_probes // 4, default_probes // 2, default_probes, default_probes * 2}):
        ivf.nprobe = max(1, probes)
        found, ms = _search_all(approximate, queries)
        recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
        suffix = "" if probes != default_probes else " (default)"
        result[f"nprobe={probes}{suffix}"] = {"recall@10": round(float(recall), 4), "ms": round(ms, 2)}
    return result


def _search_all(index: VectorIndex, queries: np.ndarray) -> tuple[list[np.ndarray], float]:
    index.search(queries[0], 10)
    started = time.perf_counter()
    found = [index.search(query, 10)[1] for query in queries]
    return found, 1000 * (time.perf_counter() - started) / len(queries)
