"""Answer a question with the sentence of the retrieved passages that best answers it, or abstain."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from index.confidence import ConfidenceModel, Evidence, TypeCheck, asked_type, evidence
from index.lexical import analyse
from index.records import Hit, Passage, Post
from index.request import SearchRequest
from index.search import Index
from index.sentence_vectors import SentenceTable, sentence_text
from index.sentences import sentence_spans
from index.term_weights import coverage, term_weights

# Fitted by scripts/fit_confidence.py on several corpora with equal weight each (docs/evaluation.md, "Answer or
# withhold"); one weight per name in index.confidence.FEATURES.
CONFIDENCE = ConfidenceModel(
    bias=-4.5395, weights=(3.7841, 0.738, 2.1882, 0.4084, 0.2199, -1.0652, 1.8291, 2.0044, -3.3786)
)


@dataclass(frozen=True)
class AnswerSettings:
    """How sentences compete and when to abstain; nothing per corpus.

    Sentences of the best `passages` passages compete. A sentence scores cosine * its cosine with the question
    + lexical * the idf-weighted share of the question's terms it holds + retrieval * its passage's fused score,
    scaled to [0, 1] between the worst and best candidate passage (weights chosen on half of SQuAD v1.1's articles).
    The best `scored` candidates get a confidence: the chance, estimated by `confidence` (index/confidence.py) from
    evidence that means the same in every corpus, that the sentence answers the question. Below `threshold` the
    service withholds the answer.
    """

    passages: int = 10
    cosine: float = 1.0
    lexical: float = 1.0
    retrieval: float = 0.25
    # Taken off the score of a sentence that lacks what the question asks for (a name for "who", a date for
    # "when", a number for "how many": index.confidence.asked_type).
    answer_type: float = 0.2
    confidence: ConfidenceModel = CONFIDENCE
    # Show when the sentence is more likely right than not (index/evaluation/confidence_fit.py, WRONG_COST).
    threshold: float = 0.5
    scored: int = 1


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
    cosine: float = 0.0
    evidence: Evidence | None = None

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

    def context(self, spans: list[tuple[int, int]] | None = None) -> tuple[str, str]:
        """The sentences of the passage just before and just after this one ("" at either end), so a reader sees
        the answer in its place (spans: the passage's sentences, when the caller has them)."""
        spans = sentence_spans(self.passage.text) if spans is None else spans
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


def answer_question(
    index: Index,
    request: SearchRequest,
    settings: AnswerSettings = AnswerSettings(),
    vector: np.ndarray | None = None,
    hits: list[Hit] | None = None,
) -> AnswerResult:
    """Search, score the sentences of the best passages against the question (the request's query), and answer with
    the best one.

    vector is the question's embedding and hits its best passages when the caller has them (the service takes both
    from the listing it shows, so one ranking serves both).
    """
    question = request.query
    if vector is None:
        vector = index.encoder.encode([question])[0]  # once: the search and the sentences both need it
    if hits is None:
        hits = index.search(request, vector, depth=max(request.k, settings.passages))
    candidates = rank_sentences(index, question, hits[: settings.passages], settings, vector)
    best = candidates[0] if candidates and candidates[0].confidence >= settings.threshold else None
    return AnswerResult(best, hits[: request.k], candidates)


def rank_sentences(
    index: Index, question: str, hits: list[Hit], settings: AnswerSettings, vector: np.ndarray | None = None
) -> list[Answer]:
    """Every sentence of the hits' passages as a candidate answer, best first (vector: the question's, if known);
    the best `settings.scored` carry their evidence and confidence, the rest a confidence of 0."""
    spans, vectors = _sentences(index, hits)
    if not spans:
        return []
    cosines = vectors @ (index.encoder.encode([question])[0] if vector is None else vector)
    # Every analysed word of the question, question words too: the sentence evidence and its confidence were fitted
    # on these (dropping QUERY_STOPWORDS here cost Go blog answers @1 0.6625 -> 0.6125).
    weights = term_weights(index.lexical, analyse([question])[0])
    texts = [hit.passage.text[start:end] for hit, start, end in spans]
    shares = np.array([coverage(weights, set(terms)) for terms in analyse(texts)], dtype=np.float32)
    retrieval = _scaled([hit.score for hit, _, _ in spans])
    scores = settings.cosine * cosines + settings.lexical * shares + settings.retrieval * retrieval
    kind = asked_type(question) if settings.answer_type else None
    if kind is not None:
        check = TypeCheck(kind, question)
        lacking = np.array([not check.holds(text) for text in texts], dtype=np.float32)
        scores = scores - settings.answer_type * lacking
    ranked, seen = [], set()
    for n in np.argsort(-scores, kind="stable"):
        hit, start, end = spans[n]
        # Overlapping passages hold some sentences twice: one candidate each, at its best.
        key = (hit.post.id, texts[n])
        if key in seen:
            continue
        seen.add(key)
        ranked.append(Answer(texts[n], start, end, 0.0, float(scores[n]), hit.passage, hit.post, float(cosines[n])))
    return _with_confidence(index, question, weights, ranked, settings)


def _with_confidence(
    index: Index, question: str, weights: dict[str, float], ranked: list[Answer], settings: AnswerSettings
) -> list[Answer]:
    """The top `settings.scored` candidates with their evidence and confidence; each is judged against the others
    (its margin over the best other candidate)."""
    known = {term for term in weights if index.lexical.document_frequency(term) > 0}
    bm25 = index.lexical.term_scores(analyse([question])[0])
    k1 = float(index.manifest.settings.get("lexical", {}).get("k1", 0.9))
    ceiling = sum(weights.get(term, 0.0) for term in analyse([question])[0]) * (k1 + 1.0)
    numbers = _passage_numbers(index)
    cosines = [answer.cosine for answer in ranked]
    scores = [answer.score for answer in ranked]
    scored, split = [], {}
    for position, answer in enumerate(ranked[: settings.scored]):
        # This candidate first, then the others in rank order: the margin is over the best of the rest.
        rest = [n for n in range(len(ranked)) if n != position]
        if answer.passage.id not in split:
            split[answer.passage.id] = sentence_spans(answer.passage.text)
        before, after = answer.context(split[answer.passage.id])
        context = [answer.post.title or "", answer.post.author or "", before, after]
        found = evidence(
            question,
            weights,
            known,
            answer.text,
            context,
            [cosines[position], *(cosines[n] for n in rest)],
            [scores[position], *(scores[n] for n in rest)],
            float(bm25[numbers[answer.passage.id]]),
            ceiling,
        )
        scored.append(replace(answer, confidence=settings.confidence.confidence(found), evidence=found))
    return scored + ranked[settings.scored :]


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


_NUMBERS: weakref.WeakKeyDictionary[Index, dict[str, int]] = weakref.WeakKeyDictionary()


def _passage_numbers(index: Index) -> dict[str, int]:
    """Each passage id's position in the index's arrays; made once per index."""
    if index not in _NUMBERS:
        _NUMBERS[index] = {passage.id: number for number, passage in enumerate(index.passages)}
    return _NUMBERS[index]


_STORED: weakref.WeakKeyDictionary[Index, tuple[SentenceTable, dict[str, int]] | None] = weakref.WeakKeyDictionary()


def _stored_sentences(index: Index) -> tuple[SentenceTable, dict[str, int]] | None:
    """The version's sentence table (vectors memory-mapped) and each passage id's row; looked up once per index."""
    if index not in _STORED:
        table = index.sentences
        _STORED[index] = None if table is None else (table, _passage_numbers(index))
    return _STORED[index]
