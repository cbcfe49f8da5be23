"""Every passage's sentences with their offsets and vectors, embedded at build time so answers need no model call."""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.cache import EmbeddingCache
from index.model.encoder import Encoder
from index.records import Passage, Post
from index.sentences import sentence_spans
from index.vectors import quantise_rows

# Stored as int8 with one float32 scale per sentence (see SentenceTable.save).
STORED_DTYPE = np.int8


def sentence_text(post: Post, sentence: str) -> str:
    """What the model sees for a sentence: the post title says what "it" or "the team" refers to."""
    return f"{post.title}. {sentence}" if post.title else sentence


@dataclass(frozen=True)
class SentenceTable:
    """Sentence i lies in passage `passage[i]` at [start[i], end[i]); passage p owns rows first[p]:first[p + 1].

    vectors are float32, or int8 codes when `scales` is set (as loaded from a version): row i is codes[i] * scales[i].
    """

    passage: np.ndarray
    start: np.ndarray
    end: np.ndarray
    first: np.ndarray
    vectors: np.ndarray
    scales: np.ndarray | None = None

    def rows(self, passage_index: int) -> range:
        return range(int(self.first[passage_index]), int(self.first[passage_index + 1]))

    @classmethod
    def of_passages(cls, passages: list[Passage]) -> SentenceTable:
        """Offsets only (no vectors yet): the split every answer and highlight uses."""
        return cls.of_spans([sentence_spans(passage.text) for passage in passages])

    @classmethod
    def of_spans(cls, spans: list[list[tuple[int, int]]]) -> SentenceTable:
        """Offsets only, from each passage's sentence spans (as sentence_spans gives them)."""
        counts = np.array([len(own) for own in spans], dtype=np.int64)
        pairs = np.array([span for own in spans for span in own], dtype=np.int64).reshape(-1, 2)
        owners = np.repeat(np.arange(len(spans), dtype=np.int64), counts)
        firsts = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(counts)])
        empty = np.zeros((len(pairs), 0), dtype=np.float32)
        return cls(owners, np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1]), firsts, empty)

    def texts(self, passages: list[Passage], posts: dict[str, Post]) -> list[str]:
        """The embedding text of every sentence, in row order."""
        return [
            sentence_text(posts[passages[p].post_id], passages[p].text[s:e])
            for p, s, e in zip(self.passage, self.start, self.end, strict=True)
        ]

    def with_vectors(self, vectors: np.ndarray) -> SentenceTable:
        return SentenceTable(self.passage, self.start, self.end, self.first, vectors)

    def save(self, path: Path) -> None:
        """Vectors stored as int8 with one scale per sentence (its largest component / 127): a quarter of float32.

        Readers widen only the rows they use (vectors_of). Against float32 (2026-11-26): cosine 0.99997 on average
        (0.99992 at worst) on SciFact's 48,631 sentences; SciFact hybrid nDCG@10 and MRR@10 identical on train and
        test; SQuAD v1.1 answer figures within 0.0002. Widening 500 int8 rows takes 0.03 ms; float16 took 0.25.
        """
        floats = self.vectors if self.scales is None else self.vectors_of(np.arange(len(self.vectors)))
        codes, scales = quantise_rows(np.asarray(floats, dtype=np.float32))
        with path.open("wb") as handle:
            np.savez(
                handle,
                passage=self.passage,
                start=self.start,
                end=self.end,
                first=self.first,
                vectors=codes,
                scales=scales,
            )

    @classmethod
    def load(cls, path: Path) -> SentenceTable:
        """The table, its vectors memory-mapped: every worker shares one copy in the page cache."""
        with np.load(path) as data:
            passage, start, end, first = (np.asarray(data[name]) for name in ("passage", "start", "end", "first"))
            scales = np.asarray(data["scales"]) if "scales" in data.files else None  # None: float vectors (older)
        return cls(passage, start, end, first, _mapped_member(path, "vectors"), scales)

    def vectors_of(self, rows: np.ndarray | range | list[int]) -> np.ndarray:
        """The rows' vectors as float32."""
        rows = np.asarray(rows, dtype=np.int64)
        picked = np.asarray(self.vectors[rows], dtype=np.float32)
        return picked if self.scales is None else picked * self.scales[rows, None]

    def cosines(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """The rows' inner products with a vector: widened codes times the vector, then each row's scale (one
        multiplication a row instead of one per dimension)."""
        if self.scales is None:
            return np.asarray(self.vectors[rows], dtype=np.float32) @ vector
        return (self.vectors[rows].astype(np.float32) @ vector) * self.scales[rows]

    def spans(self, passage_index: int) -> list[tuple[int, int]]:
        first, last = int(self.first[passage_index]), int(self.first[passage_index + 1])
        return list(zip(self.start[first:last].tolist(), self.end[first:last].tolist(), strict=True))


def stored_vectors_dtype(path: Path) -> np.dtype:
    """The dtype the file stores its vectors in, read from the array header alone."""
    with np.load(path) as data, data.zip.open("vectors.npy") as member:
        return _read_header(np.lib.format.read_magic(member))(member)[2]


def _read_header(version: tuple[int, int]) -> Callable[..., tuple[Any, ...]]:
    return np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0


def _mapped_member(path: Path, name: str) -> np.ndarray:
    """One array of an uncompressed .npz, memory-mapped read-only instead of read into this process's heap."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(f"{name}.npy")
    if info.compress_type != zipfile.ZIP_STORED:
        with np.load(path) as data:
            return np.asarray(data[name])
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(30)
        if header[:4] != b"PK\x03\x04":
            raise ValueError(f"{name}.npy has no zip entry header where the directory says")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        handle.seek(info.header_offset + 30 + name_length + extra_length)
        shape, fortran_order, dtype = _read_header(np.lib.format.read_magic(handle))(handle)
        offset = handle.tell()
    if not shape or 0 in shape:
        return np.zeros(shape, dtype=dtype)
    mapped = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran_order else "C")
    return np.asarray(mapped)  # a plain view of the mapped pages: no np.memmap overhead on every row lookup


def embed_sentences(
    passages: list[Passage],
    posts: dict[str, Post],
    encoder: Encoder,
    cache: EmbeddingCache,
    batch_size: int = 32,
    progress: bool = False,
    spans: list[list[tuple[int, int]]] | None = None,
) -> tuple[SentenceTable, int]:
    """The sentence table of the passages with vectors; returns (table, how many sentences were embedded).

    spans: each passage's sentence spans where the caller has them (index/splits.py), else they are split here.
    """
    table = SentenceTable.of_passages(passages) if spans is None else SentenceTable.of_spans(spans)
    vectors, embedded = cache.encode(encoder, table.texts(passages, posts), batch_size, progress)
    return table.with_vectors(vectors.reshape(len(table.passage), encoder.dimension)), embedded
