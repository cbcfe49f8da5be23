"""BM25 over passages: built with bm25s (English stop words, Snowball stemming, titles and authors included);
queries are scored from its saved arrays without importing bm25s, which brings scipy (19 MB and 0.15 s a worker).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import Stemmer

from index.errors import IndexFormatError

_STEMMER = Stemmer.Stemmer("english")
# bm25s.tokenize's own steps (its default token pattern, its English stop words, then the stemmer), done here
# without its per-call set-up, which cost more than the search itself on short texts.
_WORDS = re.compile(r"(?u)\b\w\w+\b")
# bm25s.stopwords.STOPWORDS_EN (bm25s 0.3), kept here so serving need not import bm25s; a test checks they agree.
STOPWORDS_EN = (
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with"
).split()
_STOPWORDS = frozenset(STOPWORDS_EN)
# Words a query asks with but no passage is about: question words, auxiliaries, pronouns and a few function words.
# Passages keep them (the index is bm25s's), queries drop them before scoring, so BM25 ranks by what the query is
# about and a result never highlights "how" or "do" (issue 19 part 8). Words that are also names or abbreviations
# readers search for (us, may, who) stay out, and so does "than", which SciFact's comparative claims rank by.
QUERY_STOPWORDS = _STOPWORDS | frozenset(
    "am been being did do does doing had has have having can could would should shall might must i me my myself we "
    "our ours you your yours he him his she her hers its itself them themselves those what which whom whose when "
    "where why how from about so too very just also".split()
)
# bm25s's scoring methods whose scores live entirely in the saved matrix (BM25L and BM25+ add a per-term constant).
_MATRIX_ONLY_METHODS = {"lucene", "robertson", "atire"}


@dataclass(frozen=True)
class LexicalSettings:
    k1: float = 0.9
    b: float = 0.4


def analyse(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed terms; queries and passages go through the same steps."""
    return [_STEMMER.stemWords([w for w in _WORDS.findall(text.lower()) if w not in _STOPWORDS]) for text in texts]


def query_terms(query: str) -> list[str]:
    """The terms BM25 scores a query by: analyse's, less QUERY_STOPWORDS (a repeated term counts twice)."""
    return _STEMMER.stemWords([w for w in _WORDS.findall(query.lower()) if w not in QUERY_STOPWORDS])


@lru_cache(maxsize=200_000)
def analyse_word(word: str) -> str | None:
    """One word's term, or None for a stop word or a word too short to index (cached: highlighting asks per word)."""
    word = word.lower()
    if len(word) < 2 or word in _STOPWORDS:
        return None
    return _STEMMER.stemWord(word)


class LexicalIndex:
    """BM25 scores of passage i (document i), from bm25s's precomputed passages x terms matrix in CSC form.

    A query's score for a passage is the sum of the passage's entries in the columns of the query's terms, as
    bm25s's own get_scores_from_ids adds them (a repeated query term counts twice).
    """

    def __init__(self, vocab: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, size: int):
        self.vocab = vocab
        self.data = data
        self.indices = indices
        self.indptr = indptr
        self.size = size
        self._bm25s: Any = None  # the bm25s index a build made, which `save` writes

    @classmethod
    def build(cls, texts: list[str], settings: LexicalSettings = LexicalSettings()) -> LexicalIndex:
        return cls.of_terms(analyse(texts), settings)

    @classmethod
    def of_terms(cls, terms: list[list[str]], settings: LexicalSettings = LexicalSettings()) -> LexicalIndex:
        """The index of passages given as their analysed terms (build analyses texts first)."""
        import bm25s  # the build's only: it brings scipy

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        retriever = bm25s.BM25(k1=settings.k1, b=settings.b, method="lucene")
        retriever.index(terms, show_progress=False)
        scores = retriever.scores
        built = cls(retriever.vocab_dict, scores["data"], scores["indices"], scores["indptr"], int(scores["num_docs"]))
        built._bm25s = retriever
        return built

    def save(self, folder: Path) -> None:
        if self._bm25s is None:
            raise ValueError("only a lexical index made by LexicalIndex.build can be saved")
        self._bm25s.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The saved index, its arrays memory-mapped (plain views: shared pages without np.memmap's overhead)."""
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method") not in _MATRIX_ONLY_METHODS or (folder / "nonoccurrence_array.index.npy").exists():
            raise IndexFormatError(
                f"{folder}: BM25 method {params.get('method')!r} is not one this service scores; rebuild the index"
            )
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        vocab.pop("", None)  # bm25s's placeholder for passages without terms: no column, and never a query term
        data, indices, indptr = (_mapped(folder / f"{name}.csc.index.npy") for name in ("data", "indices", "indptr"))
        columns = len(indptr) - 1
        if max(vocab.values(), default=-1) >= columns or len(data) != len(indices) or int(indptr[-1]) != len(data):
            raise IndexFormatError(f"{folder}: the BM25 arrays do not fit together; rebuild the index")
        return cls(vocab, data, indices, indptr, int(params["num_docs"]))

    def term_ids(self, terms: list[str]) -> list[int]:
        """The columns of the terms the passages have, in query order (unknown terms left out)."""
        return [self.vocab[term] for term in terms if term in self.vocab]

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every passage for the query's terms (query_terms; zeros when none is indexed)."""
        return self.term_scores(query_terms(query))

    def term_scores(self, terms: list[str]) -> np.ndarray:
        """The BM25 score of every passage for these analysed terms (zeros when none is indexed)."""
        scores = np.zeros(self.size, dtype=np.float32)
        ids = self.term_ids(terms)
        if ids:
            spans = [slice(int(self.indptr[i]), int(self.indptr[i + 1])) for i in ids]
            rows = np.concatenate([self.indices[span] for span in spans])
            np.add.at(scores, rows, np.concatenate([self.data[span] for span in spans]).astype(np.float32, copy=False))
        return scores

    def document_frequency(self, term: str) -> int:
        """How many passages contain the term: its column's length."""
        column = self.vocab.get(term)
        return 0 if column is None else int(self.indptr[column + 1] - self.indptr[column])


def _mapped(path: Path) -> np.ndarray:
    return np.asarray(np.load(path, mmap_mode="r"))
