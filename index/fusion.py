"""Combine dense and lexical candidate lists into one ranking: normalised-score (convex) or reciprocal-rank fusion."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MODES = ("hybrid", "dense", "bm25")
FUSIONS = ("convex", "rrf")
NORMALISATIONS = ("zscore", "minmax")


@dataclass(frozen=True)
class FusionSettings:
    """How hybrid mode fuses; the defaults were chosen on BEIR SciFact's 809 train queries (README: Evaluation).

    alpha is the dense side's weight (1.0 = dense only); each side's scores are scaled by the mean and spread
    (zscore) or the range (minmax) of its own top `candidates`; rrf_k damps ranks in reciprocal-rank fusion.
    Convex fusion then re-scores its best `sentence_depth` passages (at least the k asked for) with sentence
    evidence: `sentence_share` of the dense weight moves from the passage's cosine to its best sentence's cosine,
    scaled like the passage cosines (`scripts/tune_retrieval.py` prints the grid).
    """

    method: str = "convex"
    alpha: float = 0.6
    normalisation: str = "zscore"
    candidates: int = 1000
    rrf_k: int = 60
    sentence_share: float = 0.75
    sentence_depth: int = 100
    # BM25's z-scores are taken with a spread of at least this share of its candidates' mean: a few near-equal
    # matches (one rare word) otherwise spread so little that they outweighed every cosine (scores of -182.9).
    lexical_least_spread: float = 0.25


Scale = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Scaling:
    """A side's scaling, fitted on its own top list: (score - centre) / spread, clipped to [0, 1] for minmax.

    A list without spread scales to 1 at its top (`centre`) and 0 below; an empty list scales everything to 0.
    """

    normalisation: str
    centre: float
    spread: float

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        if self.spread <= 1e-12:
            return np.where(scores >= self.centre, 1.0, 0.0).astype(np.float32)
        scaled = (scores - self.centre) / self.spread
        return (scaled if self.normalisation == "zscore" else np.clip(scaled, 0.0, 1.0)).astype(np.float32)


def minmax(scores: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Scale scores to [0, 1] by the range of the reference list (a side's own top candidates)."""
    return fitted("minmax", reference)(scores)


def zscore(scores: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Standard scores against the reference list's mean and deviation: robust to one outlying top score."""
    return fitted("zscore", reference)(scores)


def fitted(normalisation: str, reference: np.ndarray, least_spread: float = 0.0) -> Scaling:
    """The scaling by the reference list, its statistics taken once: a query scales several score sets by one list.

    least_spread: for zscore, the smallest spread as a share of the list's mean (0: none).
    """
    if len(reference) == 0:
        return Scaling(normalisation, math.inf, 0.0)
    if normalisation == "zscore":
        centre, spread = float(reference.mean()), float(reference.std())
        spread = max(spread, least_spread * abs(centre))
    else:
        centre, spread = float(reference.min()), float(reference.max() - reference.min())
    return (
        Scaling(normalisation, float(reference.max()), 0.0)
        if spread <= 1e-12
        else Scaling(normalisation, centre, spread)
    )


def convex(
    dense: np.ndarray,
    dense_top: np.ndarray,
    lexical: np.ndarray,
    lexical_top: np.ndarray,
    alpha: float,
    normalisation: str = "zscore",
) -> np.ndarray:
    """alpha * dense + (1 - alpha) * lexical, each side normalised by its own top list."""
    dense_scale, lexical_scale = fitted(normalisation, dense_top), fitted(normalisation, lexical_top)
    return convex_scaled(dense, dense_scale, lexical, lexical_scale, alpha)


def convex_scaled(
    dense: np.ndarray, dense_scale: Scale, lexical: np.ndarray, lexical_scale: Scale, alpha: float
) -> np.ndarray:
    """convex() with each side's scaling already fitted to its top list."""
    return (alpha * dense_scale(dense) + (1.0 - alpha) * lexical_scale(lexical)).astype(np.float32)


def rrf(dense_rank: np.ndarray, lexical_rank: np.ndarray, k: int, alpha: float) -> np.ndarray:
    """Weighted reciprocal-rank fusion; a rank of 0 means the candidate is absent from that list."""
    dense_part = np.where(dense_rank > 0, 1.0 / (k + dense_rank), 0.0)
    lexical_part = np.where(lexical_rank > 0, 1.0 / (k + lexical_rank), 0.0)
    return (2 * alpha * dense_part + 2 * (1 - alpha) * lexical_part).astype(np.float32)
