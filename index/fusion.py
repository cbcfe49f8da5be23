"""Combine dense and lexical candidate lists into one ranking: normalised-score (convex) or reciprocal-rank fusion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = ("hybrid", "dense", "bm25")
FUSIONS = ("convex", "rrf")


@dataclass(frozen=True)
class FusionSettings:
    """alpha is the dense side's weight in convex fusion (1.0 = dense only); rrf_k damps ranks in RRF."""

    method: str = "convex"
    alpha: float = 0.5
    candidates: int = 100
    rrf_k: int = 60


def minmax(scores: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Scale scores to [0, 1] by the range of the reference list (a side's own top candidates)."""
    if len(reference) == 0:
        return np.zeros_like(scores)
    low, high = float(reference.min()), float(reference.max())
    if high - low <= 1e-12:
        return np.where(scores >= high, 1.0, 0.0).astype(np.float32)
    return np.clip((scores - low) / (high - low), 0.0, 1.0).astype(np.float32)


def convex(
    dense: np.ndarray, dense_top: np.ndarray, lexical: np.ndarray, lexical_top: np.ndarray, alpha: float
) -> np.ndarray:
    """alpha * dense + (1 - alpha) * lexical, each min-max scaled by its own top list."""
    return alpha * minmax(dense, dense_top) + (1.0 - alpha) * minmax(lexical, lexical_top)


def rrf(dense_rank: np.ndarray, lexical_rank: np.ndarray, k: int, alpha: float) -> np.ndarray:
    """Weighted reciprocal-rank fusion; a rank of 0 means the candidate is absent from that list."""
    dense_part = np.where(dense_rank > 0, 1.0 / (k + dense_rank), 0.0)
    lexical_part = np.where(lexical_rank > 0, 1.0 / (k + lexical_rank), 0.0)
    return (2 * alpha * dense_part + 2 * (1 - alpha) * lexical_part).astype(np.float32)
