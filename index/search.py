"""Open a verified index version and search it: dense and BM25 candidates, fused, filtered before the cut."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index import store
from index.errors import IndexFormatError
from index.fusion import FusionSettings, Scaling, convex_scaled, fitted, rrf
from index.highlight import QueryTerms, highlight
from index.jsonl import rows
from index.lexical import LexicalIndex, query_terms
from index.model.encoder import Encoder
from index.model.onnx_encoder import version_query_encoder
from index.records import Hit, Passage, Post
from index.relevance import Calibration
from index.request import SearchRequest
from index.sentence_vectors import SentenceTable
from index.store import SCAN_FILE, SENTENCES_FILE
from index.term_weights import query_term_weights, term_weights
from index.topk import best_ids
from index.vectors import DenseScores, VectorIndex


@dataclass(frozen=True)
class Ranked:
    """Passage ids and their scores, best first; relevance is the scores' bounded form (index.relevance), when set."""

    ids: np.ndarray
    scores: np.ndarray
    relevance: np.ndarray | None = None


@dataclass(frozen=True)
class Scored:
    """Every passage a query's ranking weighs: raw scores (the head's re-scored as `rank` re-scores them) and their
    relevance, in no order; `beyond` is the highest relevance a passage outside them could have."""

    ids: np.ndarray
    scores: np.ndarray
    relevance: np.ndarray
    beyond: float


@dataclass(frozen=True)
class Sides:
    """One query's candidates from each side: every passage's BM25, the best by BM25 and by cosine."""

    lexical: np.ndarray
    lexical_ids: np.ndarray
    dense_ids: np.ndarray
    dense_scores: np.ndarray


@dataclass(frozen=True)
class Fused:
    """Hybrid candidates: passage ids, their fused scores and dense cosines, and the scaling those cosines had."""

    ids: np.ndarray
    scores: np.ndarray
    cosines: np.ndarray
    scale: Scaling


# Candidates from the int8 scan rescored exactly before the cut (at least k): passages further down than this
# would need 100 others to be within the scan's 0.003 of their cosine to be missed.
HEAD = 100


class Index:
    """One published version, loaded and verified, ready to answer queries.

    `posts` carry their attribution, not their text (empty): the passages hold the words.
    """

    def __init__(
        self,
        folder: Path,
        manifest: store.Manifest,
        posts: dict[str, Post],
        passages: list[Passage],
        vectors: VectorIndex,
        lexical: LexicalIndex,
        encoder: Encoder,
        fusion: FusionSettings = FusionSettings(),
        sentences: SentenceTable | None = None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.posts = posts
        self.passages = passages
        self.vectors = vectors
        self.lexical = lexical
        self.encoder = encoder
        self.fusion = fusion
        # Every passage's sentence offsets and (memory-mapped) vectors; None in a version built before sentences
        # were stored, whose sentences are split per result instead and which ranks without sentence evidence.
        self.sentences = sentences

    @property
    def version(self) -> str:
        return self.manifest.version

    @classmethod
    def open(cls, root: Path, encoder: Encoder | None = None, fusion: FusionSettings = FusionSettings()) -> Index:
        """Open the version `current` points at (or root itself when it is a version); verify it first."""
        folder = store.current_version(Path(root))
        manifest = store.verify(folder)
        # Queries go through the version's own ONNX graph: onnxruntime, never torch, in the service.
        encoder = encoder or version_query_encoder(folder, manifest.files)
        if encoder.weights_sha256 != manifest.model_sha256:
            raise IndexFormatError(
                f"{folder} was built with model weights {manifest.model_sha256[:12]}…, but the installed model is "
                f"{encoder.weights_sha256[:12]}…; rebuild the index with `python scripts/build_index.py`"
            )
        try:
            # Attribution only: a post's words are in its passages, so the opened index does not hold them twice.
            posts = {p["id"]: Post.from_json({**p, "text": ""}) for _, p in rows(folder / store.POSTS_FILE)}
            passages = [Passage.from_json(p) for _, p in rows(folder / store.PASSAGES_FILE)]
            # Files a version may lack are read where its manifest lists them: verify() has checked those, and has
            # refused any file in the folder that the manifest does not list.
            scan = folder / SCAN_FILE if SCAN_FILE in manifest.files else None
            vectors = VectorIndex.load(folder / store.VECTORS_FILE, scan)
            lexical = LexicalIndex.load(folder / store.LEXICAL_DIR)
            sentences = SentenceTable.load(folder / SENTENCES_FILE) if SENTENCES_FILE in manifest.files else None
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexFormatError(f"{folder} cannot be loaded ({exc}); rebuild the index") from None
        if not (vectors.size == lexical.size == len(passages) == manifest.passages):
            raise IndexFormatError(f"{folder} has inconsistent passage counts; rebuild the index")
        if sentences is not None and len(sentences.first) != len(passages) + 1:
            raise IndexFormatError(f"{folder} has inconsistent sentence offsets; rebuild the index")
        return cls(folder, manifest, posts, passages, vectors, lexical, encoder, fusion, sentences)

    def search(self, request: SearchRequest, vector: np.ndarray | None = None, depth: int | None = None) -> list[Hit]:
        """The request's k best passages; filters apply before the cut, so k is met whenever it can be.

        vector is the query's embedding when the caller already has it (answers use it again for sentences); depth
        returns that many instead of k (answers read further down than the results they show).
        """
        k = request.k if depth is None else depth
        alpha = self.fusion.alpha if request.alpha is None else request.alpha
        allowed = request.filters.allowed(self.passages, self.posts)
        ranked = self.rank(request.query, k, request.mode, alpha, allowed, vector)
        terms = self.query_terms(request.query)
        relevance = ranked.relevance if ranked.relevance is not None else np.zeros(len(ranked.ids), np.float32)
        return [
            self.hit(rank, int(i), float(s), float(r), terms)
            for rank, (i, s, r) in enumerate(zip(ranked.ids[:k], ranked.scores[:k], relevance[:k], strict=True), 1)
        ]

    def query_terms(self, query: str) -> QueryTerms:
        """The terms a query's results highlight: those BM25 ranks it by."""
        return QueryTerms.of(query_term_weights(self.lexical, query))

    def rank(
        self,
        query: str,
        k: int,
        mode: str,
        alpha: float,
        allowed: np.ndarray | None = None,
        vector: np.ndarray | None = None,
    ) -> Ranked:
        """The k best passages (fewer only when fewer pass the filter or, for bm25, share a term), best first."""
        if mode == "bm25":
            ranked = _top(self.lexical.scores(query), k, allowed, positive_only=True)
            return _calibrated(ranked, self._bm25_calibration(query))
        vector = self.encoder.encode([query])[0] if vector is None else vector
        # Cosines from the int8 scan of every passage where the version has one: it picks candidates, and the
        # passages that reach the head of a ranking are rescored exactly before the final cut.
        dense = self.vectors.dense_scores(vector)
        if mode == "dense":
            if dense.exact_scores:
                return _calibrated(Ranked(*dense.best(k, allowed)), Calibration())
            head, approximate = dense.best(max(k, HEAD), allowed)
            return _calibrated(_order(head, dense.exact(head, approximate), k), Calibration())
        # Hybrid: each side's `candidates` best passages; their union is fused and cut to k.
        sides = self._sides(query, dense, max(k, self.fusion.candidates), allowed)
        ids = _union(len(self.passages), sides)
        if self.fusion.method == "rrf":
            best = _top(self._rrf(ids, sides, dense, alpha), k, None, positive_only=False)
            return _calibrated(Ranked(ids[best.ids], best.scores), Calibration.rrf(self.fusion.rrf_k))
        fused, calibration = self._convex(ids, sides, dense, alpha)
        return _calibrated(self._rescore_head(fused, dense, k, alpha), calibration)

    def score(
        self, query: str, k: int, mode: str, alpha: float, vector: np.ndarray, allowed: np.ndarray | None = None
    ) -> Scored:
        """Every passage the ranking weighs for k results, scored as `rank` scores them without a filter.

        Scores never depend on a filter: `allowed` only adds its own best passages as candidates (a filtered listing
        is the unfiltered one, restricted), and `beyond` then bounds the allowed passages left out.
        """
        if mode == "bm25":
            lexical = self.lexical.scores(query)
            ids = np.flatnonzero(lexical > 0)
            return Scored(ids, lexical[ids], self._bm25_calibration(query)(lexical[ids]), 0.0)
        dense = self.vectors.dense_scores(vector)
        depth = max(k, self.fusion.candidates)
        if mode == "dense":
            ids, scores = dense.best(depth, None)
            head = _order(ids, scores, max(k, HEAD)).ids
            listed = scores
            if allowed is not None:
                more, listed = dense.best(depth, allowed)
                ids, scores = _merged(ids, scores, more, listed)
            else:
                ids, scores = _merged(ids, scores, ids[:0], scores[:0])
            if not dense.exact_scores:
                at = np.searchsorted(ids, head)
                scores[at] = dense.exact(head, scores[at])
            beyond = Calibration().of(float(listed.min())) if len(listed) >= depth else 0.0
            return Scored(ids, scores, Calibration()(scores), beyond)
        sides = self._sides(query, dense, depth, None)
        ids = _union(len(self.passages), sides)
        if self.fusion.method == "rrf":
            # Passages outside both lists have no rank on either side, so a filter adds none with a score above 0.
            scores = self._rrf(ids, sides, dense, alpha)
            return Scored(ids, scores, Calibration.rrf(self.fusion.rrf_k)(scores), 0.0)
        fused, calibration = self._convex(ids, sides, dense, alpha)
        rescored = self._rescore_head(fused, dense, max(k, self._head_depth()), alpha)
        scores = fused.scores.copy()
        scores[np.searchsorted(ids, rescored.ids)] = rescored.scores
        bounded = sides
        if allowed is not None:
            bounded = self._sides(query, dense, depth, allowed)
            more = np.setdiff1d(_union(len(self.passages), bounded), ids, assume_unique=True)
            cosines = dense.of(more)
            extra = convex_scaled(cosines, fused.scale, sides.lexical[more], self._lexical_scale(sides), alpha)
            ids, scores = _merged(ids, scores, more, extra)
        return Scored(
            ids, scores, calibration(scores), calibration.of(self._beyond(bounded, fused.scale, sides, alpha, depth))
        )

    def _sides(self, query: str, dense: DenseScores, depth: int, allowed: np.ndarray | None) -> Sides:
        lexical = self.lexical.scores(query)
        # A passage that shares no term with the query is no BM25 match at all.
        lexical_ids = best_ids(lexical, depth, allowed, positive_only=True)
        dense_ids, dense_scores = dense.best(depth, allowed)
        return Sides(lexical, lexical_ids, dense_ids, dense_scores)

    def _lexical_scale(self, sides: Sides) -> Scaling:
        return fitted(self.fusion.normalisation, sides.lexical[sides.lexical_ids], self.fusion.lexical_least_spread)

    def _convex(self, ids: np.ndarray, sides: Sides, dense: DenseScores, alpha: float) -> tuple[Fused, Calibration]:
        """The candidates' fused scores; each side is scaled by its own top list, and the dense scaling also serves
        the head's exact and sentence cosines."""
        cosines = dense.of(ids)
        dense_scale = fitted(self.fusion.normalisation, sides.dense_scores)
        lexical_scale = self._lexical_scale(sides)
        fused = convex_scaled(cosines, dense_scale, sides.lexical[ids], lexical_scale, alpha)
        return Fused(ids, fused, cosines, dense_scale), Calibration.convex(dense_scale, lexical_scale, alpha)

    def _rrf(self, ids: np.ndarray, sides: Sides, dense: DenseScores, alpha: float) -> np.ndarray:
        dense_order = sides.dense_ids[np.argsort(-dense.exact(sides.dense_ids, sides.dense_scores), kind="stable")]
        lexical_order = sides.lexical_ids[np.argsort(-sides.lexical[sides.lexical_ids], kind="stable")]
        return rrf(_ranks(ids, dense_order), _ranks(ids, lexical_order), self.fusion.rrf_k, alpha)

    def _beyond(self, bounded: Sides, dense_scale: Scaling, sides: Sides, alpha: float, depth: int) -> float:
        """The highest fused score a passage outside these lists could have: no better than the last of either."""
        if len(bounded.dense_ids) < depth:
            return -np.inf  # every (allowed) passage is a dense candidate
        lowest = bounded.lexical[bounded.lexical_ids].min() if len(bounded.lexical_ids) >= depth else 0.0
        cosine = np.array([bounded.dense_scores.min()], dtype=np.float32)
        bm25 = np.array([lowest], dtype=np.float32)
        return float(convex_scaled(cosine, dense_scale, bm25, self._lexical_scale(sides), alpha)[0])

    def _bm25_calibration(self, query: str) -> Calibration:
        weights = term_weights(self.lexical, query_terms(query))
        return Calibration.bm25([weights[term] for term in query_terms(query)])

    def _head_depth(self) -> int:
        return self.fusion.sentence_depth if self.sentences is not None and self.fusion.sentence_share > 0 else HEAD

    def _rescore_head(self, fused: Fused, dense: DenseScores, k: int, alpha: float) -> Ranked:
        """The fused head re-scored with exact cosines, then with sentence evidence: part of each passage's dense
        weight moves to its best sentence's cosine."""
        use_sentences = self.sentences is not None and self.fusion.sentence_share > 0
        depth = max(k, self._head_depth())
        scale = fused.scale
        # From approximate scores, twice the head is rescored exactly so that the head is what exact scores make it.
        wide = _top(fused.scores, depth if dense.exact_scores else 2 * depth, None, positive_only=False)
        passages, own, scores = fused.ids[wide.ids], fused.cosines[wide.ids], wide.scores
        if not dense.exact_scores:
            approximate, own = own, dense.exact(passages, own)
            # A fused score holds alpha × the scaled cosine: swapping in the exact cosine shifts it by the difference.
            scores = scores + alpha * (scale(own) - scale(approximate))
            head = _top(scores, depth, None, positive_only=False)
            passages, own, scores = passages[head.ids], own[head.ids], head.scores
        if use_sentences:
            # Same model, same scale: the best sentence's cosine is scaled by the dense side's reference list.
            evidence = scale(self._best_sentence_cosines(dense.query, passages, own))
            scores = scores + alpha * self.fusion.sentence_share * (evidence - scale(own))
        rescored = _top(scores, k, None, positive_only=False)
        return Ranked(passages[rescored.ids], rescored.scores)

    def _best_sentence_cosines(self, vector: np.ndarray, passages: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """Each passage's best sentence cosine with the query; the passage's own cosine where it has no sentence."""
        table = self.sentences
        assert table is not None, "called only for a version with a sentence table"
        first, last = table.first[passages], table.first[passages + 1]
        counts = last - first
        rows = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        cosines = table.cosines(rows, vector)
        best = np.array(fallback, dtype=np.float32)
        has = counts > 0
        if has.any():
            starts = (np.cumsum(counts) - counts)[has]
            best[has] = np.maximum.reduceat(cosines, starts)
        return best

    def hit(
        self,
        rank: int,
        passage_index: int,
        score: float,
        relevance: float,
        terms: QueryTerms | None,
        others: tuple[Hit, ...] = (),
    ) -> Hit:
        """A result: the passage with its post, its highlights and best sentence (none without terms), and others:
        more of the post's passages."""
        passage = self.passages[passage_index]
        spans: list[tuple[int, int]] = []
        sentence = None
        if terms is not None:
            sentences = None if self.sentences is None else self.sentences.spans(passage_index)
            spans, sentence = highlight(passage.text, terms, sentences)
        return Hit(rank, score, passage, self.posts[passage.post_id], spans, sentence, relevance, others)


def _top(scores: np.ndarray, depth: int, allowed: np.ndarray | None, positive_only: bool) -> Ranked:
    """The depth best of the allowed passages by score, best first."""
    ids = best_ids(scores, depth, allowed, positive_only)
    return _order(ids, scores[ids], depth)


def _order(ids: np.ndarray, values: np.ndarray, depth: int) -> Ranked:
    """The depth best of these ids by their values, best first."""
    order = np.lexsort((ids, -values))[:depth]  # ties go to the lower id: equal scores always come back in one order
    return Ranked(ids[order], values[order].astype(np.float32))


def _calibrated(ranked: Ranked, calibration: Calibration) -> Ranked:
    return replace(ranked, relevance=calibration(ranked.scores))


def _union(size: int, sides: Sides) -> np.ndarray:
    """The ids on either side's list, ascending."""
    member = np.zeros(size, dtype=bool)
    member[sides.dense_ids] = True
    member[sides.lexical_ids] = True
    return np.flatnonzero(member)


def _merged(
    ids: np.ndarray, scores: np.ndarray, more: np.ndarray, more_scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Both id lists with their scores, ascending by id; an id on both keeps its first score."""
    every = np.concatenate([ids, more])
    values = np.concatenate([scores, more_scores]).astype(np.float32)
    unique, first = np.unique(every, return_index=True)
    return unique, values[first]


def _ranks(ids: np.ndarray, ranked: np.ndarray) -> np.ndarray:
    """1-based rank of each id in a ranked list, 0 where absent."""
    position = {int(i): r for r, i in enumerate(ranked, start=1)}
    return np.array([position.get(int(i), 0) for i in ids], dtype=np.float32)
