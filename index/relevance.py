"""The bounded score: a ranking's raw values mapped onto 0 to 1 by each query's own scaling, and the relevance cut."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.fusion import Scaling

# A passage matches a query when its relevance reaches this, and a post when one of its passages does; the service's
# RELEVANCE_CUT setting. On the Go blog's development questions (eval/goblog.jsonl) the post holding the answer
# clears it for all 80 answerable ones (a median 44 of 275 posts match), and no result for 13 of the 15 unrelated
# ones (cooking, sport) does; on the bundled corpus's, for 16 of 18 (at 0.3: all 80, 22 of 275, no unrelated one,
# but 16 of 18 there too, and a paraphrase that today finds its post first would find nothing).
RELEVANCE_CUT = 0.25


@dataclass(frozen=True)
class Calibration:
    """relevance = unit × raw + offset, clipped to [0, 1]: one affine map per query, so it keeps the ranking's order.

    Hybrid (convex): the fused value put back on the dense side's scale, with a passage that shares no term with the
    query getting nothing from the BM25 side, so relevance = alpha × cosine + (1 − alpha) × its BM25 in cosine units
    (the cosine spread per BM25 spread of the query's candidates), plus the best sentence's say in the head. Dense: the
    cosine. BM25: the share of the query's highest possible BM25 (every term's idf). RRF: the share of the fused
    value of a passage first on both sides.
    """

    unit: float = 1.0
    offset: float = 0.0

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        return np.clip(self.unit * np.asarray(raw, dtype=np.float64) + self.offset, 0.0, 1.0).astype(np.float32)

    def of(self, raw: float) -> float:
        return float(self(np.array([raw]))[0])

    @classmethod
    def convex(cls, dense: Scaling, lexical: Scaling, alpha: float) -> Calibration:
        # A dense list without spread (one passage) has no scale to return to: its fused values stand as they are.
        unit = dense.spread if dense.spread > 1e-12 else 1.0
        centre = dense.centre if dense.spread > 1e-12 else 0.0
        nothing = float(lexical(np.zeros(1, dtype=np.float32))[0])
        return cls(unit, alpha * centre - unit * (1.0 - alpha) * nothing)

    @classmethod
    def rrf(cls, rrf_k: int) -> Calibration:
        return cls((rrf_k + 1) / 2.0)

    @classmethod
    def bm25(cls, idfs: list[float]) -> Calibration:
        ceiling = math.fsum(idfs)
        return cls(1.0 / ceiling if ceiling > 0 else 0.0)
