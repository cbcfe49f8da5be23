"""The dense side: a FAISS inner-product index over normalised passage vectors, exact or IVF by corpus size."""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

# Up to this many passages an exact scan answers in a few milliseconds; above it an IVF index probes a few lists.
EXACT_LIMIT = 100_000
# Lists probed per query, as a share of all lists: set from recall@10 against exact search (README, index types).
PROBE_SHARE = 1 / 32
TRAINING_POINTS_PER_LIST = 64


def use_one_thread_per_request() -> None:
    """FAISS and BLAS (numpy's scan of all passages) on the calling thread only: the server runs requests in parallel.

    OpenBLAS's own threads, one per core by default, oversubscribed the cores under concurrent requests: on SciFact
    with 2 workers, 4 concurrent clients got 170 requests/s with them and 414 without (16 clients: 128 and 408).
    """
    faiss.omp_set_num_threads(1)
    threadpool_limits(1)  # for the rest of the process, not a block


class VectorIndex:
    """Inner-product search; vector i is passage i. `kind` names the FAISS index, as the manifest records it."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index
        self.size = int(index.ntotal)
        self.ivf = index if isinstance(index, faiss.IndexIVF) else None
        if self.ivf is not None:
            self.ivf.nprobe = probes(self.ivf.nlist)
        self.kind = f"ivf{self.ivf.nlist}-flat-ip" if self.ivf is not None else "flat-ip"
        # An exact index's vectors, seen as one (passages x dimension) array without a copy.
        self.matrix = None
        if self.ivf is None and self.size:
            flat = faiss.rev_swig_ptr(faiss.downcast_index(index).get_xb(), self.size * index.d)
            self.matrix = flat.reshape(self.size, index.d)

    @classmethod
    def build(cls, vectors: np.ndarray, exact_limit: int = EXACT_LIMIT, seed: int = 1234) -> VectorIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        if len(vectors) <= exact_limit:
            index = faiss.IndexFlatIP(dimension)
        else:
            lists = ivf_lists(len(vectors))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, lists, faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = seed
            training = min(len(vectors), lists * TRAINING_POINTS_PER_LIST)
            sample = np.random.default_rng(seed).choice(len(vectors), training, replace=False)
            index.train(vectors[np.sort(sample)])
            # Passage i must come back by id for exact rescoring (scores_of) and filters.
            index.make_direct_map()
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        # IVF lists are memory-mapped; a flat index's vectors are read into memory. Mapping those too
        # (IO_FLAG_MMAP_IFC) saves 15 MB a worker on SciFact but leaves them at a file offset that is not a multiple
        # of 4 bytes, where numpy cannot hand them to BLAS: the scan of all passages took 0.57 ms instead of 0.09.
        return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top k (scores, ids) for one query vector, among the allowed ids when given."""
        k = min(k, self.size if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if allowed is not None and self.ivf is not None and len(allowed) <= EXACT_LIMIT:
            # Probing a few lists could miss filtered passages; scoring the allowed ones exactly never does.
            return self._exact_among(query, k, allowed)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self.ivf.nprobe) if self.ivf else None
            params = params or faiss.SearchParameters(sel=selector)
        scores, ids = self.index.search(query.reshape(1, -1), k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def all_scores(self, query: np.ndarray) -> np.ndarray | None:
        """Every passage's inner product with the query for an exact index (one matrix-vector product), else None.

        For hybrid search this beats a FAISS top-1000 search plus rescoring by an order of magnitude.
        """
        return None if self.matrix is None else self.matrix @ query.reshape(-1)

    def scores_of(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact inner products of the query with the given passages' vectors."""
        if len(ids) == 0:
            return np.zeros(0, np.float32)
        vectors = self.index.reconstruct_batch(ids.astype(np.int64))
        return vectors @ query.reshape(-1)

    def _exact_among(self, query: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = allowed.astype(np.int64)
        scores = self.scores_of(query, ids)
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top].astype(np.float32), ids[top]


def ivf_lists(count: int) -> int:
    """About 2·√n lists: a few hundred vectors each, so a probe scans little and training stays affordable."""
    return max(1, int(2 * math.sqrt(count)))


def probes(lists: int) -> int:
    return max(1, min(lists, math.ceil(lists * PROBE_SHARE)))
