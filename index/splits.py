"""Posts into passages and each passage into sentences, reusing the split of every post a build under the same
root already made (kept in the embedding cache's database)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from functools import cache
from pathlib import Path

import numpy as np
import tokenizers
from tqdm import tqdm

from index import passages as passages_module
from index import sentences as sentences_module
from index.cache import EmbeddingCache
from index.model.encoder import load_tokenizer
from index.model.spec import verified_model_dir
from index.passages import PassageSettings, split_post
from index.records import Passage, Post
from index.sentences import sentence_spans

Spans = list[tuple[int, int]]


@cache
def splitter_key(settings: PassageSettings) -> str:
    """What a post's split depends on besides its text: the settings, the splitting code itself and the tokenizer
    that counts word pieces. Any change to them is a new key, so no split made by other rules is ever reused."""
    digest = hashlib.sha256(b"split\0" + json.dumps(asdict(settings), sort_keys=True).encode())
    for module in (passages_module, sentences_module):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update((verified_model_dir() / "tokenizer.json").read_bytes())
    digest.update(tokenizers.__version__.encode())
    return digest.hexdigest()


def split_posts(
    posts: list[Post], settings: PassageSettings, cache: EmbeddingCache | None = None, progress: bool = False
) -> tuple[list[Passage], list[Spans]]:
    """Every post's passages in order, and each passage's sentence spans (offsets in the passage text).

    Only posts the cache has no split of are split (and their splits stored); the rest are rebuilt from it.
    """
    splitter = splitter_key(settings)
    keys = [post_key(post) for post in posts]
    found = cache.derived(splitter, set(keys)) if cache is not None else {}
    tokenizer = None
    passages: list[Passage] = []
    spans: list[Spans] = []
    fresh: dict[str, bytes] = {}
    for post, key in tqdm(
        zip(posts, keys, strict=True), total=len(posts), desc="passages", unit="post", disable=not progress
    ):
        split = decode_split(post, found[key]) if key in found else None
        if split is None:
            tokenizer = tokenizer or load_tokenizer(verified_model_dir())
            windows = split_post(post, tokenizer, settings)
            split = windows, [sentence_spans(passage.text) for passage in windows]
            fresh[key] = encode_split(*split)
        passages.extend(split[0])
        spans.extend(split[1])
    if cache is not None and fresh:
        cache.store_derived(splitter, fresh)
    return passages, spans


def post_key(post: Post) -> str:
    """What a post's split depends on of the post: its title (which takes part of every passage's budget) and text."""
    return hashlib.sha256("\0".join((post.title or "", post.text)).encode("utf-8")).hexdigest()


def encode_split(passages: list[Passage], spans: list[Spans]) -> bytes:
    """int32: the passage count, each passage's (start, end) in the post, each one's sentence count, then every
    sentence's (start, end) in its passage."""
    counts = [len(sentences) for sentences in spans]
    flat = [offset for sentences in spans for span in sentences for offset in span]
    bounds = [offset for passage in passages for offset in (passage.start, passage.end)]
    return np.array([len(passages), *bounds, *counts, *flat], dtype=np.int32).tobytes()


def decode_split(post: Post, blob: bytes) -> tuple[list[Passage], list[Spans]] | None:
    """The post's passages and sentence spans from encode_split's bytes; None when they do not fit the post."""
    if len(blob) % 4:
        return None
    values = np.frombuffer(blob, dtype=np.int32)
    count = int(values[0]) if len(values) else -1
    if count < 0 or len(values) < 1 + 3 * count:
        return None
    bounds = values[1 : 1 + 2 * count].reshape(count, 2).tolist()
    counts = values[1 + 2 * count : 1 + 3 * count]
    flat = values[1 + 3 * count :]
    if (counts < 0).any() or int(counts.sum()) * 2 != len(flat):
        return None
    if any(not 0 <= s < e <= len(post.text) for s, e in bounds):
        return None
    passages = [
        Passage(id=f"{post.id}#{n}", post_id=post.id, ordinal=n, start=s, end=e, text=post.text[s:e])
        for n, (s, e) in enumerate(bounds)
    ]
    pairs = flat.reshape(-1, 2).tolist()
    spans: list[Spans] = []
    first = 0
    for passage, number in zip(passages, counts.tolist(), strict=True):
        own = [(s, e) for s, e in pairs[first : first + number]]
        if any(not 0 <= s < e <= len(passage.text) for s, e in own):
            return None
        spans.append(own)
        first += number
    return passages, spans
