"""Offline retrieval tuning: every query's passage signals computed once, then fusion variants scored in numpy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from index.evaluation.metrics import Qrels, mean_metrics, ndcg
from index.fusion import FusionSettings
from index.lexical import LexicalIndex, LexicalSettings, analyse
from index.search import Index

SERVICE = FusionSettings()  # the service's own fusion: every default the tuning starts from comes from here
DEPTH = SERVICE.candidates  # each side's candidates and z-score reference
Weights = tuple[float, float, float]  # (passage cosine, best-sentence cosine, BM25)


@dataclass(frozen=True)
class Signals:
    """queries x passages: passage cosine, best sentence cosine in the passage, BM25; plus the query vectors."""

    queries: np.ndarray
    dense: np.ndarray
    sentence: np.ndarray
    bm25: np.ndarray


def sentence_max(queries: np.ndarray, vectors: np.ndarray, first: np.ndarray, batch: int = 128) -> np.ndarray:
    """Each passage's best sentence cosine: sentences of passage p are rows first[p]:first[p + 1]."""
    out = np.empty((len(queries), len(first) - 1), np.float32)
    for start in range(0, len(queries), batch):
        cosines = queries[start : start + batch] @ vectors.T
        out[start : start + batch] = np.maximum.reduceat(cosines, first[:-1], axis=1)
    return out


def top_mask(scores: np.ndarray, depth: int = DEPTH, positive: bool = False) -> np.ndarray:
    """Each row's depth best entries (only those above 0 when positive: a BM25 score of 0 is no match)."""
    scores = np.where(scores > 0, scores, -np.inf) if positive else scores
    depth = min(depth, scores.shape[1])
    mask = np.zeros(scores.shape, bool)
    np.put_along_axis(mask, np.argpartition(-scores, depth - 1, axis=1)[:, :depth], True, axis=1)
    return mask & np.isfinite(scores)


def zscore(scores: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Row-wise standard scores against the mean and deviation of the reference entries (fusion.zscore per row)."""
    mean, spread = _stats(scores, reference)
    return (scores - mean) / spread


def fuse(signals: Signals, weights: Weights, sentence_reference: str = "own") -> np.ndarray:
    """Weighted sum of z-scored signals over the union of the dense and BM25 top lists; -inf elsewhere.

    sentence_reference "own": the sentence side is z-scored by its own top list (it needs every sentence scored);
    "dense": by the passage-cosine top list's mean and spread (same model and scale, so no top list of its own).
    """
    dense_top, bm25_top = top_mask(signals.dense), top_mask(signals.bm25, positive=True)
    fused = weights[0] * zscore(signals.dense, dense_top) + weights[2] * zscore(signals.bm25, bm25_top)
    if weights[1] and sentence_reference == "own":
        fused += weights[1] * zscore(signals.sentence, top_mask(signals.sentence))
    elif weights[1]:
        mean, spread = _stats(signals.dense, dense_top)
        fused += weights[1] * (signals.sentence - mean) / spread
    return np.where(dense_top | bm25_top, fused, -np.inf)


def rerank(signals: Signals, base: Weights, weights: Weights, top: int) -> np.ndarray:
    """Rank by `base`, then re-score only its `top` passages with `weights` (sentence side: dense statistics)."""
    first = fuse(signals, base)
    second = fuse(signals, weights, sentence_reference="dense")
    head = top_mask(first, top)
    # Passages past the cut keep the base order, below every re-scored one.
    return np.where(head, second, first - 1e6)


def _stats(scores: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise mean and spread of the reference entries (spread 1 where they are all equal)."""
    count = reference.sum(1, keepdims=True).clip(1)
    mean = np.where(reference, scores, 0).sum(1, keepdims=True) / count
    spread = np.sqrt(np.where(reference, (scores - mean) ** 2, 0).sum(1, keepdims=True) / count)
    return mean, np.where(spread > 1e-12, spread, 1.0)


def doc_max(scores: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """A document's score is its best passage's (passages of a post are contiguous, from starts)."""
    return np.maximum.reduceat(scores, starts, axis=1)


def doc_softmax(scores: np.ndarray, starts: np.ndarray, temperature: float) -> np.ndarray:
    """temperature * log-sum-exp of a document's passage scores / temperature: max plus credit for more passages."""
    finite = np.isfinite(scores)
    peak = np.max(np.where(finite, scores, -1e30), axis=1, keepdims=True)
    total = np.add.reduceat(np.where(finite, np.exp((scores - peak) / temperature), 0.0), starts, axis=1)
    return np.where(total > 0, peak + temperature * np.log(np.maximum(total, 1e-300)), -np.inf)


def doc_level(signals: Signals, weights: Weights, starts: np.ndarray) -> np.ndarray:
    """Each signal first aggregated to documents by max, then z-scored over its top documents and fused."""
    per_doc = Signals(signals.queries, *(doc_max(s, starts) for s in (signals.dense, signals.sentence, signals.bm25)))
    return fuse(per_doc, weights)


def dense_feedback(signals: Signals, ranked: np.ndarray, vectors: np.ndarray, k: int, beta: float) -> np.ndarray:
    """Rocchio on the query vector from the fused ranking: normalise(q + beta * mean of its top k passages)."""
    moved = signals.queries + beta * vectors[np.argsort(-ranked, axis=1)[:, :k]].mean(1)
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)


def bm25_matrix(lexical: LexicalIndex) -> sp.csr_matrix:
    """passages x terms: each term's BM25 contribution, straight from the bm25s index (a query sums its columns)."""
    shape = (lexical.size, len(lexical.indptr) - 1)
    return sp.csc_matrix((lexical.data, lexical.indices, lexical.indptr), shape=shape).tocsr()


def query_terms(lexical: LexicalIndex, texts: list[str], vocabulary: int) -> np.ndarray:
    """queries x terms: how often each indexed term occurs in the query."""
    return term_counts(lexical, analyse(texts), vocabulary)


def term_counts(lexical: LexicalIndex, queries: list[list[str]], vocabulary: int | None = None) -> np.ndarray:
    """queries (as analysed terms) x indexed terms: how often each occurs in the query."""
    out = np.zeros((len(queries), vocabulary or len(lexical.indptr) - 1), np.float32)
    for row, terms in enumerate(queries):
        np.add.at(out[row], lexical.term_ids(terms), 1.0)
    return out


def bm25_feedback(
    matrix: sp.csr_matrix, terms: np.ndarray, ranked: np.ndarray, k: int, expansion: int, weight: float
) -> np.ndarray:
    """RM3-style: the query's terms (1 - weight) plus the `expansion` terms with the highest mean BM25 weight in
    the fused top k passages (weight), each part summing to 1; returns every passage's expanded BM25 score."""
    out = np.empty((len(terms), matrix.shape[0]), np.float32)
    for row, top in enumerate(np.argsort(-ranked, axis=1)[:, :k]):
        centroid = np.asarray(matrix[top].mean(0)).ravel()
        keep = np.argpartition(-centroid, expansion)[:expansion]
        added = np.zeros_like(centroid)
        added[keep] = centroid[keep] / max(centroid[keep].sum(), 1e-12)
        query = (1 - weight) * terms[row] / max(terms[row].sum(), 1.0) + weight * added
        out[row] = matrix @ query
    return out


def rankings(doc_scores: np.ndarray, doc_ids: np.ndarray, qids: list[str]) -> dict[str, list[str]]:
    """Each row's top 100 documents, best first (-inf means not retrieved)."""
    run = {}
    for row, qid in enumerate(qids):
        scores = doc_scores[row]
        top = np.argpartition(-scores, 100)[:100]
        top = top[np.argsort(-scores[top], kind="stable")]
        run[qid] = list(doc_ids[top[np.isfinite(scores[top])]])
    return run


def metrics(run: dict[str, list[str]], qrels: Qrels) -> dict[str, float]:
    """nDCG@10, Recall@100, MRR@10 over the run's queries."""
    return mean_metrics(run, {qid: qrels[qid] for qid in run})


def ndcg_per_query(run: dict[str, list[str]], qrels: Qrels) -> np.ndarray:
    """Each query's nDCG@10, for paired comparisons of two configurations."""
    return np.array([ndcg(ranking, qrels[qid], 10) for qid, ranking in run.items()])


def service_ranking(signals: Signals, settings: FusionSettings = SERVICE) -> np.ndarray:
    """The service's hybrid ranking of passages (index/search.py with these settings; a test checks they agree on a
    real index): z-score fusion, then sentence evidence for the fused best `sentence_depth`."""
    alpha, share = settings.alpha, settings.sentence_share
    return rerank(signals, split_alpha(alpha, 0.0), split_alpha(alpha, share), settings.sentence_depth)


def index_signals(index: Index, texts: list[str]) -> Signals:
    """Every signal of every passage for these queries, from a built index: query vectors (one at a time, as the
    service embeds them: an int8 graph's activation scales depend on the batch), and BM25 scores."""
    queries = np.concatenate([index.encoder.encode([text]) for text in texts])
    bm25 = np.stack([index.lexical.scores(text) for text in texts])
    return with_queries(Signals(queries, queries, queries, bm25), index, queries)


def with_queries(signals: Signals, index: Index, queries: np.ndarray) -> Signals:
    """The signals for (moved) query vectors: passage and best-sentence cosines recomputed, BM25 kept."""
    if index.sentences is None:
        raise ValueError(f"{index.folder} has no sentence table; rebuild it")
    table = index.sentences
    dense = queries @ passage_vectors(index).T
    sentences = table.vectors_of(range(len(table.passage)))  # stored as int8
    return Signals(queries, dense, sentence_max(queries, sentences, table.first), signals.bm25)


def passage_vectors(index: Index) -> np.ndarray:
    """The float32 passage vectors as an aligned copy: mapped from the FAISS file they are not, and numpy hands
    only aligned arrays to BLAS."""
    return np.array(index.vectors.matrix, dtype=np.float32)


def split_alpha(alpha: float, share: float) -> Weights:
    """(passage, sentence, BM25) weights: the dense weight alpha split between passage and best-sentence cosine."""
    return (alpha * (1 - share), alpha * share, 1 - alpha)


def dense_scaled(signals: Signals, cosines: np.ndarray) -> np.ndarray:
    """Cosines of the same model z-scored with the passage-cosine top list's mean and spread (as sentence cosines)."""
    mean, spread = _stats(signals.dense, top_mask(signals.dense))
    return (cosines - mean) / spread


def with_bonus(ranking: np.ndarray, weight: float, signal: np.ndarray) -> np.ndarray:
    """A ranking with weight * signal added to every candidate (-inf stays -inf)."""
    return np.where(np.isfinite(ranking), ranking + weight * signal, ranking)


def coverage(matrix: sp.csr_matrix, terms: np.ndarray) -> np.ndarray:
    """queries x passages: the share of each query's distinct terms, weighted by idf, that occur in the passage."""
    present = (matrix > 0).astype(np.float32)
    found = np.asarray(present.sum(0)).ravel()
    idf = np.log1p((matrix.shape[0] - found + 0.5) / (found + 0.5)).astype(np.float32)
    wanted = (terms > 0) * idf
    return np.asarray((present @ wanted.T).T) / np.maximum(wanted.sum(1, keepdims=True), 1e-9)


def term_pairs(terms: list[str], window: int) -> list[str]:
    """Unordered pairs of analysed terms at most window - 1 positions apart (a proximity vocabulary)."""
    return ["_".join(sorted((a, b))) for i, a in enumerate(terms) for b in terms[i + 1 : i + window]]


def bm25_of_tokens(passages: list[list[str]], queries: list[list[str]], k1: float = 0.9, b: float = 0.4) -> np.ndarray:
    """queries x passages BM25 (bm25s, Lucene's formula) over already analysed tokens."""
    lexical = LexicalIndex.of_terms(passages, LexicalSettings(k1=k1, b=b))
    return np.asarray((bm25_matrix(lexical) @ term_counts(lexical, queries).T).T, dtype=np.float32)


def coordinate_ascent(
    evaluate: Callable[[np.ndarray], float],
    start: np.ndarray,
    steps: tuple[float, ...] = (0.2, 0.1, 0.05, -0.05, -0.1, -0.2),
    passes: int = 2,
) -> tuple[np.ndarray, float]:
    """Greedy search for feature weights: each weight in turn takes the step that raises evaluate() most."""
    weights, best = start.copy(), evaluate(start)
    for _ in range(passes):
        for j in range(len(weights)):
            for step in steps:
                candidate = weights.copy()
                candidate[j] += step
                value = evaluate(candidate)
                if value > best + 1e-6:
                    weights, best = candidate, value
    return weights, best


@dataclass(frozen=True)
class Candidates:
    """Each query's candidate passages as a small features matrix, for fast nDCG@10 of linear feature mixes."""

    features: list[np.ndarray]  # per query: candidates x features
    documents: list[np.ndarray]  # per query: each candidate's document number
    count: int  # documents in the collection

    @classmethod
    def of(cls, features: list[np.ndarray], mask: np.ndarray, passage_doc: np.ndarray) -> Candidates:
        """features: queries x passages each; mask: the candidates; passage_doc: each passage's document number."""
        picked = [np.flatnonzero(row) for row in mask]
        return cls(
            [np.stack([f[row, cols] for f in features], 1) for row, cols in enumerate(picked)],
            [passage_doc[cols] for cols in picked],
            int(passage_doc.max()) + 1,
        )

    def scores(self, weights: np.ndarray) -> np.ndarray:
        """queries x documents: the best candidate passage's weighted sum (-inf where none)."""
        out = np.full((len(self.features), self.count), -np.inf, np.float32)
        for row, (features, documents) in enumerate(zip(self.features, self.documents, strict=True)):
            np.maximum.at(out[row], documents, features @ weights)
        return out

    def mean_ndcg(self, rows: np.ndarray, weights: np.ndarray, doc_ids: np.ndarray, qrels: list[dict]) -> float:
        """Mean nDCG@10 over the given query rows (qrels in row order)."""
        total = 0.0
        best = np.empty(self.count, np.float32)
        for row in rows:
            best.fill(-np.inf)
            np.maximum.at(best, self.documents[row], self.features[row] @ weights)
            found = np.flatnonzero(np.isfinite(best))
            top = found[np.argsort(-best[found], kind="stable")[:10]]
            total += ndcg(list(doc_ids[top]), qrels[row], 10)
        return total / max(len(rows), 1)
