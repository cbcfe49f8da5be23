"""Open a verified index version and search it: dense and BM25 candidates, fused, filtered before the cut."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import store
from index.encoder import Encoder
from index.errors import IndexFormatError, QueryError
from index.filters import Filters
from index.fusion import MODES, FusionSettings, convex, rrf
from index.highlight import best_sentence, merge_spans, term_spans
from index.lexical import LexicalIndex
from index.onnx_encoder import version_query_encoder
from index.records import Hit, Passage, Post
from index.term_weights import query_term_weights
from index.vectors import VectorIndex


@dataclass(frozen=True)
class Ranked:
    """Passage ids and their scores, best first."""

    ids: np.ndarray
    scores: np.ndarray


class Index:
    """One published version, loaded and verified, ready to answer queries."""

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
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.posts = posts
        self.passages = passages
        self.vectors = vectors
        self.lexical = lexical
        self.encoder = encoder
        self.fusion = fusion

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
            posts = {p["id"]: Post.from_json(p) for p in _read_jsonl(folder / store.POSTS_FILE)}
            passages = [Passage.from_json(p) for p in _read_jsonl(folder / store.PASSAGES_FILE)]
            vectors = VectorIndex.load(folder / store.VECTORS_FILE)
            lexical = LexicalIndex.load(folder / store.LEXICAL_DIR)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise IndexFormatError(f"{folder} cannot be loaded ({exc}); rebuild the index") from None
        if not (vectors.size == lexical.size == len(passages) == manifest.passages):
            raise IndexFormatError(f"{folder} has inconsistent passage counts; rebuild the index")
        return cls(folder, manifest, posts, passages, vectors, lexical, encoder, fusion)

    def search(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        alpha: float | None = None,
        filters: Filters | None = None,
    ) -> list[Hit]:
        """The k best passages for the query; filters apply before the cut, so k is met whenever it can be."""
        if mode not in MODES:
            raise QueryError("bad_mode", f"mode must be one of {', '.join(MODES)}")
        alpha = self.fusion.alpha if alpha is None else alpha
        if not 0.0 <= alpha <= 1.0:
            raise QueryError("bad_alpha", "alpha must be between 0 and 1")
        allowed = (filters or Filters()).allowed(self.passages, self.posts)
        ranked = self.rank(query, max(k, 1), mode, alpha, allowed)
        weights = query_term_weights(self.lexical, query)
        return [
            self._hit(rank, int(i), float(s), query, weights)
            for rank, (i, s) in enumerate(zip(ranked.ids[:k], ranked.scores[:k], strict=True), 1)
        ]

    def rank(self, query: str, k: int, mode: str, alpha: float, allowed: np.ndarray | None = None) -> Ranked:
        """Scores of the best passages (at least k of them when that many pass the filter), best first."""
        depth = max(k, self.fusion.candidates)
        if mode == "bm25":
            return self._lexical_top(self.lexical.scores(query), depth, allowed)
        vector = self.encoder.encode([query])[0]
        dense_all = self.vectors.all_scores(vector)
        if dense_all is None:
            dense_scores, dense_ids = self.vectors.search(vector, depth, allowed)
        else:
            dense = _top(dense_all, depth, allowed, positive_only=False)
            dense_scores, dense_ids = dense.scores, dense.ids
        if mode == "dense":
            return Ranked(dense_ids, dense_scores)
        lexical_all = self.lexical.scores(query)
        lexical = self._lexical_top(lexical_all, depth, allowed)
        ids = np.union1d(dense_ids, lexical.ids).astype(np.int64)
        if self.fusion.method == "rrf":
            fused = rrf(_ranks(ids, dense_ids), _ranks(ids, lexical.ids), self.fusion.rrf_k, alpha)
        else:
            union = self.vectors.scores_of(vector, ids) if dense_all is None else dense_all[ids]
            fused = convex(union, dense_scores, lexical_all[ids], lexical.scores, alpha, self.fusion.normalisation)
        order = np.argsort(-fused, kind="stable")
        return Ranked(ids[order], fused[order])

    def _lexical_top(self, scores: np.ndarray, depth: int, allowed: np.ndarray | None) -> Ranked:
        # A passage that shares no term with the query is no BM25 match at all.
        return _top(scores, depth, allowed, positive_only=True)

    def _hit(self, rank: int, passage_index: int, score: float, query: str, weights: dict[str, float]) -> Hit:
        passage = self.passages[passage_index]
        terms = merge_spans(term_spans(passage.text, query))
        sentence = best_sentence(passage.text, weights)
        return Hit(rank, score, passage, self.posts[passage.post_id], terms, sentence)


def _top(scores: np.ndarray, depth: int, allowed: np.ndarray | None, positive_only: bool) -> Ranked:
    """The depth best of the allowed passages by score, best first."""
    candidates = np.arange(len(scores)) if allowed is None else allowed
    values = scores[candidates]
    if positive_only:
        keep = values > 0
        candidates, values = candidates[keep], values[keep]
    if len(values) > depth:
        top = np.argpartition(-values, depth - 1)[:depth]
        candidates, values = candidates[top], values[top]
    order = np.argsort(-values, kind="stable")
    return Ranked(candidates[order].astype(np.int64), values[order].astype(np.float32))


def _ranks(ids: np.ndarray, ranked: np.ndarray) -> np.ndarray:
    """1-based rank of each id in a ranked list, 0 where absent."""
    position = {int(i): r for r, i in enumerate(ranked, start=1)}
    return np.array([position.get(int(i), 0) for i in ids], dtype=np.float32)


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
