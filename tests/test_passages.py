"""Passages fit the model, follow sentences, overlap on long posts, and point back into the post."""

from __future__ import annotations

import itertools

import pytest

from index.model.encoder import load_tokenizer
from index.model.spec import verified_model_dir
from index.passages import PassageSettings, split_post
from index.records import Post
from index.sentences import sentence_spans


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(verified_model_dir())


def test_sentences_respect_abbreviations_and_initials():
    text = "Dr. Smith met J. K. Rowling in the U.K. today. It went well! Did it? Yes, e.g. mostly."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Dr. Smith met J. K. Rowling in the U.K. today.",
        "It went well!",
        "Did it?",
        "Yes, e.g. mostly.",
    ]


def test_short_post_is_one_passage(seed_posts, tokenizer):
    post = seed_posts[1]
    [passage] = split_post(post, tokenizer)
    assert (passage.start, passage.end, passage.text) == (0, len(post.text), post.text)


def test_long_post_is_cut_into_overlapping_passages_that_fit(tokenizer):
    text = " ".join(f"Sentence {i} says that ward {i} needed more nurses on the night shift." for i in range(120))
    post = Post(id="long", title="Night shifts", text=text)
    passages = split_post(post, tokenizer, PassageSettings(max_tokens=256, overlap_tokens=48))
    assert len(passages) > 3
    for passage in passages:
        assert post.text[passage.start : passage.end] == passage.text
        assert len(tokenizer.encode(f"{post.title}. {passage.text}").ids) <= 256
        assert passage.text.endswith(".")
    for before, after in itertools.pairwise(passages):
        assert after.start < before.end, "long posts overlap"
        assert after.start > before.start
    assert passages[-1].end == len(text)


def test_a_sentence_longer_than_the_model_is_cut_at_word_pieces(tokenizer):
    text = " ".join(["word"] * 700)
    passages = split_post(Post(id="w", title=None, text=text), tokenizer)
    assert len(passages) >= 3
    assert all(len(tokenizer.encode(p.text).ids) <= 256 for p in passages)
    assert passages[0].start == 0 and passages[-1].end == len(text)
