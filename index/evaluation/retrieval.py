"""Evaluate retrieval on a BEIR dataset with the service's own build and search code."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from index import store
from index.build import BuildSettings, build, up_to_date
from index.errors import IndexFormatError
from index.evaluation.beir import BeirDataset, load_beir
from index.evaluation.metrics import mean_metrics
from index.fusion import FusionSettings
from index.model.encoder import Encoder
from index.search import Index, Ranked

# Passages asked of the ranking per query: enough to fill 100 distinct documents for Recall@100.
EVAL_PASSAGES = 300


def evaluate_beir(
    folder: Path,
    mode: str = "hybrid",
    split: str = "test",
    work_dir: Path | None = None,
    settings: BuildSettings = BuildSettings(),
    encoder: Encoder | None = None,
    progress: bool = False,
    fusion: FusionSettings = FusionSettings(),
) -> dict[str, Any]:
    """Build (or reuse) an index of the corpus in work_dir, run the split's queries, and score the rankings.

    encoder None means what `build` and `Index.open` choose by default, as the service does; fusion is how hybrid
    mode fuses (the service's defaults unless given).
    """
    started = time.perf_counter()
    dataset = load_beir(folder, split)
    work_dir = Path(work_dir or Path("var") / "eval" / dataset.name)
    index, built = open_or_build(dataset, work_dir, settings, encoder, progress)
    index.fusion = fusion
    searched = time.perf_counter()
    run = {}
    for qid, text in tqdm(dataset.queries.items(), desc=f"{mode} queries", unit="q", disable=not progress):
        ranked = index.rank(text, EVAL_PASSAGES, mode, index.fusion.alpha)
        run[qid] = document_ranking(index, ranked)
    finished = time.perf_counter()
    metrics = mean_metrics(run, dataset.qrels)
    return {
        "dataset": dataset.name,
        "split": split,
        "mode": mode,
        "queries": len(dataset.queries),
        **{name: round(value, 4) for name, value in metrics.items()},
        "fusion": asdict(index.fusion),
        "encoder": f"{type(index.encoder).__name__} {index.encoder.model_id}",
        "posts": index.manifest.posts,
        "passages": index.manifest.passages,
        "embedded": built.get("embedded", 0),
        "build_s": round(searched - started, 2),
        "search_ms_per_query": round(1000 * (finished - searched) / max(len(dataset.queries), 1), 2),
        "total_s": round(finished - started, 2),
    }


def document_ranking(index: Index, ranked: Ranked) -> list[str]:
    """Post ids ordered by their best passage's score (the passages arrive best first)."""
    seen: dict[str, None] = {}
    for passage_index in ranked.ids:
        seen.setdefault(index.passages[int(passage_index)].post_id, None)
    return list(seen)


def open_or_build(
    dataset: BeirDataset, work_dir: Path, settings: BuildSettings, encoder: Encoder | None, progress: bool
) -> tuple[Index, dict[str, int]]:
    """The index in work_dir when it holds this corpus built with these settings, else a fresh build.

    The embedding cache lives in work_dir too, so a rebuild with new settings re-embeds only changed passages.
    """
    try:
        if up_to_date(store.verify_current(work_dir), dataset.posts, settings, work_dir):
            return Index.open(work_dir, encoder=encoder), {}
    except IndexFormatError:
        pass  # no usable version there yet (or one in an older format): build one
    summary = build(dataset.posts, work_dir, encoder=encoder, settings=settings, progress=progress)
    return Index.open(work_dir, encoder=encoder), {"embedded": summary.embedded}
