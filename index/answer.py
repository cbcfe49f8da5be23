"""Answer a question with the sentence of the retrieved passages that best answers it, or abstain."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.lexical import analyse
from index.records import Hit, Passage, Post
from index.request import SearchRequest
from index.search import Index
from index.sentence_vectors import SentenceTable, sentence_text
from index.sentences import sentence_spans
from index.term_weights import coverage, query_term_weights


@dataclass(frozen=True)
class AnswerSettings:
    """How sentences compete and when to abstain; measured on SQuAD dev (see the README), nothing per corpus.

    Sentences of the best `passages` passages compete. A sentence scores cosine * its cosine with the question
    + lexical * the idf-weighted share of the question's terms it holds + retrieval * its passage's fused score,
    scaled to [0, 1] between the worst and best candidate passage (weights chosen on half of v1.1's articles).
    Confidence is the estimated chance that the sentence holds the answer: a logistic function of its cosine and
    term share, which, unlike fused scores, mean the same in every corpus (fitted on half of v2.0's articles,
    unanswerable questions included). Below `threshold` (the best answer-or-abstain accuracy on that half) the
    service abstains.
    """

    passages: int = 10
    cosine: float = 1.0
    lexical: float = 1.0
    retrieval: float = 0.25
    confidence_bias: float = -4.556
    confidence_cosine: float = 3.685
    confidence_lexical: float = 3.251
    threshold: float = 0.39


@dataclass(frozen=True)
class Answer:
    """A sentence of a passage, its character offsets in the passage text, and how sure the service is of it."""

    text: str
    start: int
    end: int
    confidence: float
    score: float
    passage: Passage
    post: Post

    def to_json(self) -> dict[str, Any]:
        before, after = self.context()
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "confidence": round(self.confidence, 4),
            "passage_id": self.passage.id,
            "context": {"before": before, "after": after},
            "post": self.post.attribution(),
        }

    def context(self) -> tuple[str, str]:
        """The sentences of the passage just before and just after this one ("" at either end), so a reader sees
        the answer in its place."""
        spans = sentence_spans(self.passage.text)
        before = next((s for s in reversed(spans) if s[1] <= self.start), None)
        after = next((s for s in spans if s[0] >= self.end), None)
        text = self.passage.text
        return (text[before[0] : before[1]] if before else "", text[after[0] : after[1]] if after else "")


@dataclass(frozen=True)
class AnswerResult:
    """The answer (None when the service abstains), the search results, and every candidate sentence, best first."""

    answer: Answer | None
    hits: list[Hit]
    candidates: list[Answer] = field(default_factory=list)


def answer_question(index: Index, request: SearchRequest, settings: AnswerSettings = AnswerSettings()) -> AnswerResult:
    """Search, score the sentences of the best passages against the question (the request's query), and answer with
    the best one."""
    question = request.query
    vector = index.encoder.encode([question])[0]  # once: the search and the sentences both need it
    hits = index.search(request, vector, depth=max(request.k, settings.passages))
    candidates = rank_sentences(index, question, hits[: settings.passages], settings, vector)
    best = candidates[0] if candidates and candidates[0].confidence >= settings.threshold else None
    return AnswerResult(best, hits[: request.k], candidates)


def rank_sentences(
    index: Index, question: str, hits: list[Hit], settings: AnswerSettings, vector: np.ndarray | None = None
) -> list[Answer]:
    """Every sentence of the hits' passages as a candidate answer, best first (vector: the question's, if known)."""
    spans, vectors = _sentences(index, hits)
    if not spans:
        return []
    cosines = vectors @ (index.encoder.encode([question])[0] if vector is None else vector)
    weights = query_term_weights(index.lexical, question)
    texts = [hit.passage.text[start:end] for hit, start, end in spans]
    shares = np.array([coverage(weights, set(terms)) for terms in analyse(texts)], dtype=np.float32)
    retrieval = _scaled([hit.score for hit, _, _ in spans])
    scores = settings.cosine * cosines + settings.lexical * shares + settings.retrieval * retrieval
    logits = settings.confidence_bias + settings.confidence_cosine * cosines + settings.confidence_lexical * shares
    candidates = []
    for number in np.argsort(-scores, kind="stable"):
        hit, start, end = spans[number]
        confidence = 1.0 / (1.0 + math.exp(-float(logits[number])))
        candidates.append(Answer(texts[number], start, end, confidence, float(scores[number]), hit.passage, hit.post))
    return candidates


def _scaled(scores: list[float]) -> np.ndarray:
    """Passage scores mapped onto [0, 1] among the candidates, so any fusion (convex, z-scored, RRF) weighs the same."""
    values = np.asarray(scores, dtype=np.float32)
    spread = float(values.max() - values.min())
    return (values - values.min()) / spread if spread > 0 else np.ones_like(values)


def _sentences(index: Index, hits: list[Hit]) -> tuple[list[tuple[Hit, int, int]], np.ndarray]:
    """(hit, start, end) of every sentence of the hits' passages, and the sentences' vectors."""
    stored = _stored_sentences(index)
    if stored is None:
        # A version built before sentence vectors were stored: embed its few candidate sentences now.
        spans = [(hit, start, end) for hit in hits for start, end in sentence_spans(hit.passage.text)]
        texts = [sentence_text(hit.post, hit.passage.text[start:end]) for hit, start, end in spans]
        return spans, index.encoder.encode(texts)
    table, number_of = stored
    rows = [row for hit in hits for row in table.rows(number_of[hit.passage.id])]
    owners = [hit for hit in hits for _ in table.rows(number_of[hit.passage.id])]
    spans = [(hit, int(table.start[row]), int(table.end[row])) for hit, row in zip(owners, rows, strict=True)]
    return spans, table.vectors_of(rows)


_STORED: weakref.WeakKeyDictionary[Index, tuple[SentenceTable, dict[str, int]] | None] = weakref.WeakKeyDictionary()


def _stored_sentences(index: Index) -> tuple[SentenceTable, dict[str, int]] | None:
    """The version's sentence table (vectors memory-mapped) and each passage id's row; looked up once per index."""
    if index not in _STORED:
        table = index.sentences
        _STORED[index] = None if table is None else (table, {p.id: n for n, p in enumerate(index.passages)})
    return _STORED[index]
