"""BM25 over passages with bm25s: English stop words, Snowball stemming, titles and authors included."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

logging.getLogger("bm25s").setLevel(logging.WARNING)
_STEMMER = Stemmer.Stemmer("english")


@dataclass(frozen=True)
class LexicalSettings:
    k1: float = 0.9
    b: float = 0.4


def analyse(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed terms; queries and passages go through the same steps."""
    return bm25s.tokenize(
        texts, lower=True, stopwords="en", stemmer=_STEMMER.stemWords, return_ids=False, show_progress=False
    )


class LexicalIndex:
    """A bm25s index whose document i is passage i."""

    def __init__(self, retriever: bm25s.BM25) -> None:
        self.retriever = retriever
        self.size = int(retriever.scores["num_docs"])

    @classmethod
    def build(cls, texts: list[str], settings: LexicalSettings = LexicalSettings()) -> LexicalIndex:
        retriever = bm25s.BM25(k1=settings.k1, b=settings.b, method="lucene")
        retriever.index(analyse(texts), show_progress=False)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every passage for the query (zeros when no query term is indexed)."""
        terms = analyse([query])[0]
        ids = self.retriever.get_tokens_ids(terms)
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores_from_ids(ids), dtype=np.float32)
