"""Which int8 model may replace fp32: dense nDCG@10 on a BEIR set for queries only and for build + queries."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.build import BuildSettings
from index.errors import CorpusError
from index.evaluation.beir import load_beir
from index.evaluation.metrics import Qrels, mean_metrics
from index.evaluation.retrieval import EVAL_PASSAGES, document_ranking, open_or_build
from index.model.export import cached_onnx_model
from index.model.onnx_encoder import OnnxEncoder
from index.model.quantize import dynamic_int8, static_int8
from index.passages import embedding_text
from index.search import Index
from index.store import MODEL_CACHE_DIR
from index.vectors import VectorIndex

CALIBRATION_TEXTS = 300
# The most SciFact nDCG@10 an int8 model may lose against fp32 to become a default.
MAX_NDCG_DROP = 0.003


def quantization_table(
    beir_dir: Path, work_dir: Path, existing: Path | None = None, say: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    """One row per model: nDCG@10 with int8 queries on fp32 passages; cosine to fp32; speed.

    Re-embedding the corpus is the slow part, so only a model whose queries lose at most MAX_NDCG_DROP also
    gets a row for int8 passages. `existing` is an index of the same corpus to reuse as the fp32 baseline.
    """
    dataset = load_beir(beir_dir)
    fp32 = cached_onnx_model(work_dir / MODEL_CACHE_DIR)
    if existing is not None:
        index = Index.open(existing, encoder=OnnxEncoder(fp32))
    else:
        index, _ = open_or_build(dataset, work_dir / "index", BuildSettings(), None, progress=False)
    texts = [embedding_text(index.posts[p.post_id], p) for p in index.passages]
    queries = dataset.queries
    calibration = _calibration_texts(beir_dir, texts)
    reference = OnnxEncoder(fp32)
    say(f"quantising {fp32} (static: calibrated on {len(calibration)} passages and train queries) ...")
    models = {
        "fp32": fp32,
        "dynamic int8": dynamic_int8(fp32, work_dir / "dynamic.onnx"),
        "dynamic int8 per-channel": dynamic_int8(fp32, work_dir / "dynamic-pc.onnx", per_channel=True),
        "static int8 per-channel": static_int8(fp32, work_dir / "static.onnx", reference, calibration),
        "static int8 per-channel, last layer fp32": static_int8(
            fp32, work_dir / "static-last-fp32.onnx", reference, calibration, fp32_layers=1
        ),
    }
    fp32_vectors = index.vectors
    splits = _splits(beir_dir)
    fp32_queries = reference.encode(list(queries.values()))
    rows: list[dict[str, Any]] = []
    for name, path in models.items():
        say(f"{name}: {len(queries)} queries ...")
        serving = OnnxEncoder(path)
        query_vectors = serving.encode(list(queries.values()))
        cosines = np.sum(query_vectors * fp32_queries, 1)
        index.encoder, index.vectors = serving, fp32_vectors
        scores = {
            f"ndcg@10 {mode} {split}": round(_ndcg(index, mode, *splits[split]), 4)
            for mode in ("dense", "hybrid")
            for split in splits
        }
        row = {
            "model": name,
            **scores,
            "ndcg@10 dense test, int8 build+queries": None,
            "mean cosine to fp32 (queries)": round(float(np.mean(cosines)), 4),
            "min cosine to fp32 (queries)": round(float(np.min(cosines)), 4),
            "query ms (1 thread)": round(_query_ms(serving, list(queries.values())), 2),
            "build passages/s": None,
            "file MB": round(path.stat().st_size / 1e6, 1),
        }
        # A model qualifies when no split or mode loses more than MAX_NDCG_DROP against fp32.
        if name != "fp32" and rows and all(row[key] >= rows[0][key] - MAX_NDCG_DROP for key in scores):
            say(f"{name}: embedding {len(texts)} passages ...")
            building = OnnxEncoder(path, threads=os.cpu_count() or 1)
            started = time.perf_counter()
            index.vectors = VectorIndex.build(building.encode(texts))
            row["build passages/s"] = round(len(texts) / (time.perf_counter() - started), 1)
            row["ndcg@10 dense test, int8 build+queries"] = round(_ndcg(index, "dense", *splits["test"]), 4)
        rows.append(row)
        say(str(row))
    index.vectors = fp32_vectors
    return rows


def _splits(beir_dir: Path) -> dict[str, tuple[dict[str, str], dict]]:
    """(queries, qrels) of the test split and, where the set has one, the train split."""
    found = {}
    for split in ("test", "train"):
        try:
            dataset = load_beir(beir_dir, split)
        except CorpusError:
            continue
        found[split] = (dataset.queries, dataset.qrels)
    return found


def _ndcg(index: Index, mode: str, queries: dict[str, str], qrels: Qrels) -> float:
    run = {
        qid: document_ranking(index, index.rank(text, EVAL_PASSAGES, mode, index.fusion.alpha))
        for qid, text in queries.items()
    }
    return mean_metrics(run, qrels)["ndcg@10"]


def _query_ms(encoder: OnnxEncoder, queries: list[str]) -> float:
    for query in queries[:10]:
        encoder.encode([query])
    started = time.perf_counter()
    for query in queries:
        encoder.encode([query])
    return 1000 * (time.perf_counter() - started) / len(queries)


def _calibration_texts(beir_dir: Path, passages: list[str]) -> list[str]:
    """Evenly spread corpus passages plus train-split queries: never the test queries being scored."""
    step = max(1, len(passages) // (CALIBRATION_TEXTS // 2))
    chosen = passages[::step][: CALIBRATION_TEXTS // 2]
    try:
        train = list(load_beir(beir_dir, "train").queries.values())
    except CorpusError:  # a BEIR set without a train split calibrates on passages alone
        train = []
    return chosen + train[: CALIBRATION_TEXTS - len(chosen)]
