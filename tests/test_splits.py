"""What a rebuild reuses from the cache besides vectors: each post's split and each passage's BM25 terms, only for
the same text under the same rules, and never a stored value that does not fit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index import splits, terms
from index.cache import EmbeddingCache
from index.lexical import analyse
from index.passages import PassageSettings
from index.sentence_vectors import SentenceTable
from index.splits import post_key, split_posts, splitter_key
from index.terms import analyser_key, passage_terms
from index.vectors import quantise_rows


@pytest.fixture()
def cache(tmp_path: Path):
    opened = EmbeddingCache(tmp_path / "cache" / "embeddings.sqlite")
    yield opened
    opened.close()


def counting(monkeypatch, module, name: str) -> list[int]:
    """Count the items the module's function is called for (posts split, texts analysed)."""
    real, calls = getattr(module, name), []

    def spy(items, *args, **kwargs):
        calls.append(len(items) if isinstance(items, list) else 1)
        return real(items, *args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_splits_are_reused_for_the_same_title_and_text_under_the_same_rules(cache, seed_posts, monkeypatch):
    settings = PassageSettings()
    expected = split_posts(seed_posts, settings)
    assert expected[1] == [[*SentenceTable.of_passages([p]).spans(0)] for p in expected[0]]
    split = counting(monkeypatch, splits, "split_post")
    assert split_posts(seed_posts, settings, cache) == expected
    assert len(split) == len(seed_posts)
    assert split_posts(seed_posts, settings, cache) == expected and len(split) == len(seed_posts), "all reused"

    changed = [*seed_posts[:-1], replace(seed_posts[-1], title="Another title")]
    assert split_posts(changed, settings, cache) == split_posts(changed, settings)
    assert len(split) == len(seed_posts) + 1 + len(seed_posts), "only the changed post was split again"

    narrow = PassageSettings(max_tokens=64, overlap_tokens=8)
    assert splitter_key(narrow) != splitter_key(settings)
    assert split_posts(seed_posts, narrow, cache) == split_posts(seed_posts, narrow)


def test_a_stored_split_that_does_not_fit_its_post_is_split_again(cache, seed_posts):
    settings = PassageSettings()
    post = max(seed_posts, key=lambda p: len(p.text))
    expected = split_posts([post], settings)
    beyond = np.array([1, 0, len(post.text) + 5, 0], dtype=np.int32).tobytes()
    for damaged in (b"", b"\x01\x00", beyond, np.array([1, 0, 10, 3, 0, 4], dtype=np.int32).tobytes()):
        cache.store_derived(splitter_key(settings), {post_key(post): damaged})
        assert split_posts([post], settings, cache) == expected


def test_terms_are_analysed_once_per_text_and_rules(cache, monkeypatch):
    texts = ["Nurses on night shifts", "the and of", "Nurses on night shifts", "Rotas for junior doctors"]
    analysed = counting(monkeypatch, terms, "analyse")
    assert passage_terms(texts, cache) == analyse(texts)
    assert analysed == [3], "each distinct text once"
    assert passage_terms(texts, cache) == analyse(texts) and analysed == [3], "all from the cache"
    assert passage_terms(["the and of"], cache) == [[]]
    assert len(cache.derived(analyser_key(), {"x"})) == 0


def test_stored_vectors_of_another_length_are_embedded_again(cache, tmp_path: Path):
    class Counting:
        model_id, weights_sha256, dimension = "m", "w", 4

        def __init__(self) -> None:
            self.texts: list[str] = []

        def encode(self, texts, batch_size=32, progress=False):
            self.texts += texts
            return np.tile(np.arange(4, dtype=np.float32), (len(texts), 1))

    encoder = Counting()
    vectors, embedded = cache.encode(encoder, ["a", "b", "a"])
    assert embedded == 2 and vectors.shape == (3, 4) and vectors.flags.writeable
    with cache.db:
        cache.db.execute("UPDATE vectors SET vector = x'00' WHERE model = 'w'")
    again, embedded = cache.encode(encoder, ["a", "b"])
    assert embedded == 2 and np.array_equal(again, vectors[:2])


def test_quantised_rows_are_the_whole_matrix_formula_block_by_block():
    rng = np.random.default_rng(7)
    matrix = rng.standard_normal((5000, 16)).astype(np.float32)
    matrix[3] = 0
    codes, scales = quantise_rows(matrix)
    expected = np.abs(matrix).max(axis=1) / 127.0
    expected = np.where(expected > 0, expected, 1.0).astype(np.float32)
    np.testing.assert_array_equal(scales, expected)
    np.testing.assert_array_equal(codes, np.rint(matrix / expected[:, None]).astype(np.int8))
    assert quantise_rows(np.zeros((0, 16), np.float32))[0].shape == (0, 16)
