"""The FAISS index follows corpus size: exact up to a limit, IVF above it, and both find what exact search finds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.store import SCAN_FILE
from index.vectors import VectorIndex
from tests.conftest import ROOT


def clustered_vectors(count: int, seed: int = 7) -> np.ndarray:
    """Unit vectors around 200 centres: structure like embeddings have, unlike uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((200, 64)).astype(np.float32)
    vectors = centres[rng.integers(0, 200, count)] + 0.5 * rng.standard_normal((count, 64)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def corpus() -> np.ndarray:
    return clustered_vectors(20_000)


@pytest.fixture(scope="module")
def ivf(corpus: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> VectorIndex:
    path = tmp_path_factory.mktemp("ivf") / "vectors.faiss"
    VectorIndex.build(corpus, exact_limit=1000).save(path)
    return VectorIndex.load(path)


def test_small_corpora_get_an_exact_index_and_the_manifest_says_so(index_root: Path):
    manifest = json.loads((store.current_version(index_root) / store.MANIFEST).read_text())
    assert manifest["faiss_index"] == "flat-ip"


def test_an_exact_index_scans_aligned_vectors(corpus: np.ndarray, tmp_path: Path):
    """Without an int8 scan the float32 vectors are read, not mapped: numpy hands BLAS only aligned floats."""
    path = tmp_path / "vectors.faiss"
    VectorIndex.build(corpus[:5000]).save(path)
    loaded = VectorIndex.load(path)
    assert loaded.kind == "flat-ip"
    assert loaded.matrix.ctypes.data % loaded.matrix.itemsize == 0
    assert str(path) not in _mapped_files()
    np.testing.assert_array_equal(loaded.matrix, corpus[:5000])
    np.testing.assert_allclose(loaded.all_scores(corpus[42]), corpus[:5000] @ corpus[42], rtol=1e-5, atol=1e-6)
    assert loaded.search(corpus[42], 3)[1][0] == 42


def test_the_int8_scan_is_within_a_few_thousandths_and_rescoring_is_exact(corpus: np.ndarray, tmp_path: Path):
    vectors = corpus[:5000]
    built = VectorIndex.build(vectors)
    built.save(tmp_path / "vectors.faiss")
    built.save_scan(tmp_path / SCAN_FILE)
    loaded = VectorIndex.load(tmp_path / "vectors.faiss", tmp_path / SCAN_FILE)
    assert loaded.scan is not None and loaded.scan.size == 5000
    # With the scan, the float32 vectors are only read row by row: mapped from the file, shared between workers.
    assert str(tmp_path / "vectors.faiss") in _mapped_files()
    np.testing.assert_array_equal(loaded.matrix, vectors)
    for query in clustered_vectors(20, seed=9):
        exact = vectors @ query
        approximate = loaded.all_scores(query)
        assert approximate.shape == exact.shape and approximate.dtype == np.float32
        assert np.abs(approximate - exact).max() < 0.01
        assert np.corrcoef(approximate, exact)[0, 1] > 0.999
        # The scan's top 10 is among the exact top 30: candidates, which scores_of then scores exactly.
        top = np.argsort(-approximate)[:10]
        assert set(top) <= set(np.argsort(-exact)[:30])
        np.testing.assert_allclose(loaded.scores_of(query, top), exact[top], rtol=1e-5, atol=1e-6)
    # Without the scan file (a version built before it) the scan is exact, as before.
    plain = VectorIndex.load(tmp_path / "vectors.faiss")
    assert plain.scan is None
    np.testing.assert_allclose(plain.all_scores(vectors[7]), vectors @ vectors[7], rtol=1e-5, atol=1e-6)


def test_a_scan_of_other_vectors_is_refused(corpus: np.ndarray, tmp_path: Path):
    VectorIndex.build(corpus[:100]).save(tmp_path / "vectors.faiss")
    VectorIndex.build(corpus[:101]).save_scan(tmp_path / SCAN_FILE)
    with pytest.raises(ValueError, match="101"):
        VectorIndex.load(tmp_path / "vectors.faiss", tmp_path / SCAN_FILE)


def test_a_scan_onnxruntime_cannot_load_is_a_value_error(corpus: np.ndarray, tmp_path: Path):
    """Index.open turns ValueError into 'rebuild the index'; onnxruntime's own errors are no ValueError."""
    VectorIndex.build(corpus[:100]).save(tmp_path / "vectors.faiss")
    (tmp_path / SCAN_FILE).write_bytes(b"not an onnx graph")
    with pytest.raises(ValueError, match="cannot be loaded by onnxruntime"):
        VectorIndex.load(tmp_path / "vectors.faiss", tmp_path / SCAN_FILE)


def test_an_ivf_index_has_no_scan(corpus: np.ndarray, tmp_path: Path):
    VectorIndex.build(corpus[:2000], exact_limit=1000).save_scan(tmp_path / SCAN_FILE)
    assert not (tmp_path / SCAN_FILE).exists()


def test_an_ivf_index_is_mapped_too(ivf: VectorIndex):
    assert ivf.ivf is not None
    assert any("ivf" in path and path.endswith("vectors.faiss") for path in _mapped_files())


def _mapped_files() -> set[str]:
    return {line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line}


def test_large_corpora_get_ivf_with_high_recall_against_exact(corpus: np.ndarray, ivf: VectorIndex):
    assert ivf.kind.startswith("ivf") and ivf.size == len(corpus)
    exact = VectorIndex.build(corpus)
    queries = clustered_vectors(50, seed=8)
    found = [len(set(ivf.search(q, 10)[1]) & set(exact.search(q, 10)[1])) / 10 for q in queries]
    assert np.mean(found) >= 0.9


def test_ivf_scores_are_exact_inner_products(corpus: np.ndarray, ivf: VectorIndex):
    query = corpus[3]
    scores, ids = ivf.search(query, 5)
    assert ids[0] == 3
    assert np.allclose(scores, corpus[ids] @ query, atol=1e-5)
    assert np.allclose(ivf.scores_of(query, ids), scores, atol=1e-5)


def test_ivf_filtered_search_meets_k_among_allowed(corpus: np.ndarray, ivf: VectorIndex):
    allowed = np.arange(0, len(corpus), 997)
    _, ids = ivf.search(corpus[5], 10, allowed)
    assert len(ids) == 10 and set(ids) <= set(allowed)
    expected = allowed[np.argsort(-(corpus[allowed] @ corpus[5]))[:10]]
    assert list(ids) == list(expected)


def test_one_thread_per_request_limits_faiss_and_blas():
    """Checked in a fresh interpreter: the limits last for the whole process."""
    script = (
        "import faiss\n"
        "from threadpoolctl import threadpool_info\n"
        "from index.vectors import use_one_thread_per_request\n"
        "use_one_thread_per_request()\n"
        "pools = threadpool_info()\n"
        "assert pools and all(pool['num_threads'] == 1 for pool in pools), pools\n"
        "assert faiss.omp_get_max_threads() == 1\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
