"""BM25 over passages with bm25s: English stop words, Snowball stemming, titles and authors included."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

logging.getLogger("bm25s").setLevel(logging.WARNING)
_STEMMER = Stemmer.Stemmer("english")
# bm25s.tokenize's own steps (its default token pattern, its English stop words, then the stemmer), done here
# without its per-call set-up, which cost more than the search itself on short texts.
_WORDS = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(STOPWORDS_EN)


@dataclass(frozen=True)
class LexicalSettings:
    k1: float = 0.9
    b: float = 0.4


def analyse(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed terms; queries and passages go through the same steps."""
    return [_STEMMER.stemWords([w for w in _WORDS.findall(text.lower()) if w not in _STOPWORDS]) for text in texts]


@lru_cache(maxsize=200_000)
def analyse_word(word: str) -> str | None:
    """One word's term, or None for a stop word or a word too short to index (cached: highlighting asks per word)."""
    word = word.lower()
    if len(word) < 2 or word in _STOPWORDS:
        return None
    return _STEMMER.stemWord(word)


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
        retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        # Plain views of the mapped arrays: still shared pages, without np.memmap's per-indexing overhead.
        for name, value in retriever.scores.items():
            if isinstance(value, np.memmap):
                retriever.scores[name] = np.asarray(value)
        return cls(retriever)

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every passage for the query (zeros when no query term is indexed)."""
        terms = analyse([query])[0]
        ids = self.retriever.get_tokens_ids(terms)
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.retriever.get_scores_from_ids(ids), dtype=np.float32)
