"""Every passage's sentences with their offsets and vectors, embedded at build time so answers need no model call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.cache import EmbeddingCache
from index.encoder import Encoder
from index.records import Passage, Post
from index.sentences import sentence_spans

SENTENCES_FILE = "sentences.npz"


def sentence_text(post: Post, sentence: str) -> str:
    """What the model sees for a sentence: the post title says what "it" or "the team" refers to."""
    return f"{post.title}. {sentence}" if post.title else sentence


@dataclass(frozen=True)
class SentenceTable:
    """Sentence i lies in passage `passage[i]` at [start[i], end[i]); passage p owns rows first[p]:first[p + 1]."""

    passage: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first: np.ndarray
    vectors: np.ndarray

    def rows(self, passage_index: int) -> range:
        return range(int(self.first[passage_index]), int(self.first[passage_index + 1]))

    @classmethod
    def of_passages(cls, passages: list[Passage]) -> SentenceTable:
        """Offsets only (no vectors yet): the split every answer and highlight uses."""
        owner, starts, ends, first = [], [], [], [0]
        for number, passage in enumerate(passages):
            for start, end in sentence_spans(passage.text):
                owner.append(number)
                starts.append(start)
                ends.append(end)
            first.append(len(owner))
        empty = np.zeros((len(owner), 0), dtype=np.float32)
        columns = (np.asarray(values, dtype=np.int64) for values in (owner, starts, ends, first))
        return cls(*columns, empty)

    def texts(self, passages: list[Passage], posts: dict[str, Post]) -> list[str]:
        """The embedding text of every sentence, in row order."""
        return [
            sentence_text(posts[passages[p].post_id], passages[p].text[s:e])
            for p, s, e in zip(self.passage, self.start, self.end, strict=True)
        ]

    def with_vectors(self, vectors: np.ndarray) -> SentenceTable:
        return SentenceTable(self.passage, self.start, self.end, self.first, vectors)

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(
                handle, passage=self.passage, start=self.start, end=self.end, first=self.first, vectors=self.vectors
            )

    @classmethod
    def load(cls, path: Path) -> SentenceTable:
        with np.load(path) as data:
            return cls(*(np.asarray(data[name]) for name in ("passage", "start", "end", "first", "vectors")))


def embed_sentences(
    passages: list[Passage],
    posts: dict[str, Post],
    encoder: Encoder,
    cache: EmbeddingCache,
    batch_size: int = 32,
    progress: bool = False,
) -> tuple[SentenceTable, int]:
    """The sentence table of the passages with vectors; returns (table, how many sentences were embedded)."""
    table = SentenceTable.of_passages(passages)
    vectors, embedded = cache.encode(encoder, table.texts(passages, posts), batch_size, progress)
    return table.with_vectors(vectors.reshape(len(table.passage), encoder.dimension)), embedded
