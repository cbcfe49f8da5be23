"""The dense side: a FAISS inner-product index over normalised passage vectors, exact or IVF by corpus size."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, cast

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

from index.topk import best_ids

# Up to this many passages an exact scan answers in a few milliseconds; above it an IVF index probes a few lists.
EXACT_LIMIT = 100_000
# Lists probed per query, as a share of all lists: set from recall@10 against exact search (README, index types).
PROBE_SHARE = 1 / 32
TRAINING_POINTS_PER_LIST = 64
# Rows quantised at a time (quantise_rows).
QUANTISE_BLOCK = 2048


def use_one_thread_per_request() -> None:
    """FAISS and BLAS (numpy's scan of all passages) on the calling thread only: the server runs requests in parallel.

    OpenBLAS's own threads, one per core by default, oversubscribed the cores under concurrent requests: on SciFact
    with 2 workers, 4 concurrent clients got 170 requests/s with them and 414 without (16 clients: 128 and 408).
    """
    faiss.omp_set_num_threads(1)
    threadpool_limits(1)  # for the rest of the process, not a block


class VectorIndex:
    """Inner-product search; vector i is passage i. `kind` names the FAISS index, as the manifest records it."""

    def __init__(self, index: faiss.Index, scan: QuantisedScan | None = None) -> None:
        self.index = index
        self.size = int(index.ntotal)
        self.ivf = index if isinstance(index, faiss.IndexIVF) else None
        if self.ivf is not None:
            self.ivf.nprobe = probes(self.ivf.nlist)
        self.kind = f"ivf{self.ivf.nlist}-flat-ip" if self.ivf is not None else "flat-ip"
        # An exact index's vectors, seen as one (passages x dimension) array without a copy.
        self.matrix = None
        if self.ivf is None and self.size:
            flat = faiss.rev_swig_ptr(cast(Any, faiss.downcast_index(index)).get_xb(), self.size * index.d)
            self.matrix = flat.reshape(self.size, index.d)
        if scan is not None and scan.size != self.size:
            raise ValueError(f"the int8 scan holds {scan.size} vectors, the FAISS index {self.size}")
        self.scan = scan

    @classmethod
    def build(cls, vectors: np.ndarray, exact_limit: int = EXACT_LIMIT, seed: int = 1234) -> VectorIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        # Typed loosely: faiss's bundled stubs miss attributes its SWIG classes have (cp, make_direct_map, get_xb).
        index: Any
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

    def save_scan(self, path: Path) -> None:
        """Write the int8 scan of an exact index's vectors (nothing for an IVF index, which probes instead)."""
        if self.matrix is not None:
            write_scan_model(self.matrix, path)

    @classmethod
    def load(cls, path: Path, scan: Path | None = None) -> VectorIndex:
        """The FAISS index at path, with the int8 scan at `scan` when given (a version built before scans has none).

        IVF lists are memory-mapped. A flat index's float32 vectors are mapped too when the int8 scan scores all
        passages: then only the rows a ranking's head needs are read, and every worker shares the file's pages in
        the page cache (16 MB a worker on SciFact, 154 MB at 100,000 passages). Without a scan they are read into
        memory: FAISS maps them at a file offset that is not a multiple of 4 bytes, where numpy cannot hand them to
        BLAS, and the float32 scan of all passages took 0.57 ms instead of 0.09.
        """
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY
        if scan is not None:
            flags |= faiss.IO_FLAG_MMAP_IFC
        return cls(faiss.read_index(str(path), flags), QuantisedScan(scan) if scan is not None else None)

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
            # The stubs know no keyword arguments for these; faiss's SWIG constructors take them.
            loose = cast(Any, faiss)
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = loose.SearchParametersIVF(sel=selector, nprobe=self.ivf.nprobe) if self.ivf else None
            params = params or loose.SearchParameters(sel=selector)
        scores, ids = self.index.search(query.reshape(1, -1), k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def all_scores(self, query: np.ndarray) -> np.ndarray | None:
        """Every passage's inner product with the query for an exact index, else None.

        With an int8 scan the scores are within about 0.003 of the exact ones: good enough to pick candidates,
        so callers rescore the passages they keep with `scores_of`. The scan reads a quarter of the float32 bytes,
        which matters more than the arithmetic: on SciFact the float32 matrix (16 MB) and the query model's
        weights (11 MB) evict each other from the cache between requests. For hybrid search either beats a FAISS
        top-1000 search plus rescoring by an order of magnitude.
        """
        if self.matrix is None:
            return None
        if self.scan is not None:
            return self.scan(query)
        return self.matrix @ query.reshape(-1)

    def dense_scores(self, query: np.ndarray) -> DenseScores:
        """The query's scores as a ranking needs them, from the scan of every passage or else from FAISS."""
        return DenseScores(self, query, self.all_scores(query))

    def scores_of(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact inner products of the query with the given passages' vectors."""
        if len(ids) == 0:
            return np.zeros(0, np.float32)
        if self.matrix is not None:
            return self.matrix[ids] @ query.reshape(-1)
        vectors = self.index.reconstruct_batch(ids.astype(np.int64))
        return vectors @ query.reshape(-1)

    def _exact_among(self, query: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = allowed.astype(np.int64)
        scores = self.scores_of(query, ids)
        top = np.argsort(-scores, kind="stable")[:k]
        return scores[top].astype(np.float32), ids[top]


class DenseScores:
    """One query's dense scores: every passage's from a scan where the index is flat (int8 where the version has
    the scan file, else float32), or FAISS's own for its best passages and exact ones for any others (IVF).

    Scan scores only pick candidates (`exact_scores` is False): callers rescore the ones they keep with `exact`.
    """

    def __init__(self, vectors: VectorIndex, query: np.ndarray, scanned: np.ndarray | None) -> None:
        self.vectors = vectors
        self.query = query
        self.scanned = scanned
        self.exact_scores = scanned is None

    def best(self, depth: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the depth best allowed passages: best first from FAISS, in no order from a scan."""
        if self.scanned is None:
            scores, ids = self.vectors.search(self.query, depth, allowed)
            return ids, scores
        ids = best_ids(self.scanned, depth, allowed, positive_only=False)
        return ids, self.scanned[ids]

    def of(self, ids: np.ndarray) -> np.ndarray:
        """These passages' scores, of the same kind as `best` gives: fused scores mix them on one scale."""
        if self.scanned is None:
            return self.vectors.scores_of(self.query, ids)
        return self.scanned[ids]

    def exact(self, ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Exact scores for candidates that have these scores from `best` or `of`: their own when already exact."""
        return scores if self.exact_scores else self.vectors.scores_of(self.query, ids)


def ivf_lists(count: int) -> int:
    """About 2·√n lists: a few hundred vectors each, so a probe scans little and training stays affordable."""
    return max(1, int(2 * math.sqrt(count)))


def probes(lists: int) -> int:
    return max(1, min(lists, math.ceil(lists * PROBE_SHARE)))


class QuantisedScan:
    """Inner products of one query with every passage, from int8 vectors with one scale per passage.

    An onnxruntime graph: the query is quantised to uint8 on the fly (DynamicQuantizeLinear), multiplied with the
    int8 passages in integer arithmetic (MatMulInteger, packed once at load) and scaled back. One thread per call.
    """

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors (InvalidProtobuf, Fail, ...)
            raise ValueError(f"{path.name} cannot be loaded by onnxruntime ({exc})") from None
        self.size = int(self.session.get_outputs()[0].shape[1])

    def __call__(self, query: np.ndarray) -> np.ndarray:
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        return self.session.run(None, {"query": query})[0][0]


def quantise_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 codes and one float32 scale per row (its largest component / 127): row ≈ codes × scale.

    An all-zero row keeps codes of 0 and a scale of 1. Done a block of rows at a time: whole-matrix temporaries
    (145 MB each for 94,000 sentences) made it several times slower.
    """
    codes = np.empty(matrix.shape, dtype=np.int8)
    scales = np.empty(len(matrix), dtype=np.float32)
    for start in range(0, len(matrix), QUANTISE_BLOCK):
        rows = slice(start, start + QUANTISE_BLOCK)
        block = np.abs(matrix[rows]).max(axis=1, initial=0.0) / 127.0
        scales[rows] = np.where(block > 0, block, 1.0)
        scaled = matrix[rows] / scales[rows, None]
        codes[rows] = np.rint(scaled, out=scaled)
    return codes, scales


def write_scan_model(matrix: np.ndarray, path: Path) -> None:
    """Save the QuantisedScan graph for these vectors (rows are passages)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    count, dimension = matrix.shape
    codes, scales = quantise_rows(np.asarray(matrix, dtype=np.float32))
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["query"], ["query_q", "query_scale", "query_zero"]),
        helper.make_node("MatMulInteger", ["query_q", "passages", "query_zero", "passages_zero"], ["dots"]),
        helper.make_node("Cast", ["dots"], ["dots_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["dots_f", "query_scale"], ["scaled"]),
        helper.make_node("Mul", ["scaled", "passage_scales"], ["scores"]),
    ]
    graph = helper.make_graph(
        nodes,
        "passage_scan",
        [helper.make_tensor_value_info("query", TensorProto.FLOAT, [1, dimension])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, count])],
        [
            numpy_helper.from_array(np.ascontiguousarray(codes.T), "passages"),
            numpy_helper.from_array(np.array(0, dtype=np.int8), "passages_zero"),
            numpy_helper.from_array(scales, "passage_scales"),
        ],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
