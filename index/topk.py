"""Picking the best entries of a score array: shared by the dense scan and the lexical side."""

from __future__ import annotations

import numpy as np


def best_ids(scores: np.ndarray, depth: int, allowed: np.ndarray | None, positive_only: bool) -> np.ndarray:
    """Ids of the depth best of the allowed entries by score, in no particular order (a partition, not a sort)."""
    candidates = np.arange(len(scores)) if allowed is None else allowed
    values = scores if allowed is None else scores[candidates]
    if positive_only:
        keep = np.flatnonzero(values > 0)
        candidates, values = candidates[keep], values[keep]
    if len(values) > depth:
        top = np.argpartition(-values, depth - 1)[:depth]
        candidates = candidates[top]
    return candidates.astype(np.int64, copy=False)
