"""The dense side: a FAISS inner-product index over normalised passage vectors."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


def use_one_thread_per_request() -> None:
    """FAISS searches on the calling thread only: the server runs requests in parallel instead."""
    faiss.omp_set_num_threads(1)


class VectorIndex:
    """Exact inner-product search; vector i is passage i."""

    kind = "flat-ip"

    def __init__(self, index: faiss.Index) -> None:
        self.index = index
        self.size = int(index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray) -> VectorIndex:
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top k (scores, ids) for one query vector, among the allowed ids when given."""
        k = min(k, self.size if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
        scores, ids = self.index.search(query.reshape(1, -1), k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def scores_of(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact inner products of the query with the given passages' vectors."""
        if len(ids) == 0:
            return np.zeros(0, np.float32)
        vectors = self.index.reconstruct_batch(ids.astype(np.int64))
        return vectors @ query.reshape(-1)
