"""The ONNX query path: the export matches sentence-transformers, ships in each version, and agrees with the build."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import pytest

from index import Index, IndexFormatError, SearchRequest, build, store
from index.build import default_encoder
from index.model.export import (
    BUILD_RECIPE,
    CHECK_TEXTS,
    MIN_COSINE,
    cached_build_model,
    cached_onnx_model,
    cached_query_model,
)
from index.model.onnx_encoder import OnnxEncoder
from index.model.spec import verified_model_dir
from index.passages import embedding_text
from index.store import EXTERNAL_DATA_SUFFIX, MODEL_CACHE_DIR, ONNX_FILE, QUERY_FILE


@pytest.fixture(scope="module")
def onnx_index(index_root: Path) -> Index:
    """The version opened with its fp32 ONNX graph (the service's default is the int8 one)."""
    return Index.open(index_root, encoder=OnnxEncoder(store.current_version(index_root) / ONNX_FILE))


def test_version_ships_its_onnx_model_checked_by_the_manifest(index_root: Path):
    folder = store.current_version(index_root)
    manifest = json.loads((folder / store.MANIFEST).read_text())
    for name in (ONNX_FILE, QUERY_FILE):
        assert manifest["files"][name]["sha256"] == store.sha256_of(folder / name)
    cached = next((index_root / MODEL_CACHE_DIR).glob(f"*/{ONNX_FILE}"))
    assert cached.parent.name == manifest["model_sha256"], "the cache is keyed by the weights' sha256"


def test_query_model_keeps_its_embedding_table_in_a_mapped_data_file(index_root: Path):
    folder = store.current_version(index_root)
    data = folder / (QUERY_FILE + EXTERNAL_DATA_SUFFIX)
    manifest = json.loads((folder / store.MANIFEST).read_text())
    assert manifest["files"][data.name]["sha256"] == store.sha256_of(data), "the manifest checks it too"
    assert data.stat().st_size > (folder / QUERY_FILE).stat().st_size, "the table is most of the model"
    assert data.stat().st_mode & 0o044 == 0o044, "readable by a service running as another user"
    encoder = OnnxEncoder(folder / QUERY_FILE)
    encoder.encode(["mapped, not copied"])
    maps = Path("/proc/self/maps").read_text()  # read while the session (and its mapping) is alive
    assert str(data.resolve()) in maps or str(data) in maps, "onnxruntime maps the file instead of copying it"


def test_a_cached_query_model_missing_its_data_file_is_made_again(index_root: Path, tmp_path: Path):
    cached = cached_query_model(index_root / MODEL_CACHE_DIR)
    cache = tmp_path / "cache"
    shutil.copytree(index_root / MODEL_CACHE_DIR, cache)
    copy = cache / cached.relative_to(index_root / MODEL_CACHE_DIR)
    copy.with_name(copy.name + EXTERNAL_DATA_SUFFIX).unlink()
    again = cached_query_model(cache)
    assert again == copy and store.sha256_of(again.with_name(again.name + EXTERNAL_DATA_SUFFIX)) == store.sha256_of(
        cached.with_name(cached.name + EXTERNAL_DATA_SUFFIX)
    )


def test_index_opens_with_the_int8_query_encoder_by_default(index_root: Path, onnx_index: Index):
    served = Index.open(index_root)
    assert isinstance(served.encoder, OnnxEncoder) and served.encoder.model_path.name == QUERY_FILE
    for position, passage in enumerate(served.passages):
        text = embedding_text(served.posts[passage.post_id], passage)
        stored = onnx_index.vectors.index.reconstruct(position)
        queried = served.encoder.encode([text])[0]
        assert float(np.dot(stored, queried)) >= 0.9
        assert served.search(SearchRequest(text, k=1, mode="dense"))[0].passage.id == passage.id


def test_onnx_query_vectors_agree_with_the_build_vectors(onnx_index: Index):
    """Passages were embedded on torch at build time; each one's text, embedded by ONNX, must land on it."""
    for position, passage in enumerate(onnx_index.passages):
        text = embedding_text(onnx_index.posts[passage.post_id], passage)
        stored = onnx_index.vectors.index.reconstruct(position)
        queried = onnx_index.encoder.encode([text])[0]
        assert float(np.dot(stored, queried)) >= MIN_COSINE


def test_batching_by_length_gives_the_vectors_of_one_at_a_time(onnx_index: Index, encoder):
    texts = ["rotas", "A much longer question about how NHS leaders listen to their staff?", "health equity " * 300]
    batched = onnx_index.encoder.encode(texts, batch_size=2)
    for text, vector in zip(texts, batched, strict=True):
        assert float(np.dot(vector, onnx_index.encoder.encode([text])[0])) >= MIN_COSINE
    reference = encoder.encode(texts)
    assert np.min(np.sum(batched * reference, axis=1)) >= MIN_COSINE, "truncates long texts like sentence-transformers"
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_builds_embed_with_a_fused_graph_that_agrees_with_the_plain_export(index_root: Path):
    cache = index_root / MODEL_CACHE_DIR
    fused = cached_build_model(cache)
    assert fused.parent.name == BUILD_RECIPE
    layers = json.loads((verified_model_dir() / "config.json").read_text())["num_hidden_layers"]
    ops = Counter(node.op_type for node in onnx.load(str(fused)).graph.node)
    assert ops["Attention"] == layers and ops["SkipLayerNormalization"] == 2 * layers and ops["BiasGelu"] == layers
    assert ops["Softmax"] == 0, "every attention block fused"
    texts = [*CHECK_TEXTS, "rotas", "Who is Professor of Leadership at Henley Business School?"]
    plain = OnnxEncoder(cached_onnx_model(cache)).encode(texts, batch_size=3)
    built = OnnxEncoder(fused).encode(texts, batch_size=3)
    assert float(np.min(np.sum(plain * built, axis=1))) >= MIN_COSINE
    assert default_encoder(index_root, "onnxruntime").model_path == fused


def test_a_corrupted_cached_export_is_replaced(index_root: Path, tmp_path: Path):
    source = cached_onnx_model(index_root / MODEL_CACHE_DIR)
    cache = tmp_path / "cache"
    target = cache / source.parent.name / ONNX_FILE
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    shutil.copyfile(source.with_name(ONNX_FILE + ".sha256"), target.with_name(ONNX_FILE + ".sha256"))
    with target.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\xff" * 16)
    again = cached_onnx_model(cache)
    assert store.sha256_of(again) == store.sha256_of(source)


def test_a_version_without_an_onnx_model_is_refused(index_root: Path, tmp_path: Path):
    copy = tmp_path / "v1"
    shutil.copytree(store.current_version(index_root), copy)
    manifest = json.loads((copy / store.MANIFEST).read_text())
    for name in (ONNX_FILE, QUERY_FILE):
        del manifest["files"][name]
        (copy / name).unlink()
    (copy / store.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="rebuild the index"):
        Index.open(copy)


def test_default_build_embeds_on_onnxruntime_like_torch(tmp_path: Path, seed_posts, encoder):
    summary = build(seed_posts[:4], tmp_path)
    built = Index.open(tmp_path)
    assert built.manifest.settings["embed_runtime"] == "onnxruntime" and summary.embedded == built.manifest.passages
    texts = [embedding_text(built.posts[p.post_id], p) for p in built.passages]
    stored = np.stack([built.vectors.index.reconstruct(i) for i in range(len(texts))])
    assert np.min(np.sum(stored * encoder.encode(texts), axis=1)) >= MIN_COSINE
