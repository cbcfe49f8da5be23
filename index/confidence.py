"""Whether the best candidate sentence answers the question: evidence that means the same in every corpus, and the
logistic model that turns it into the confidence the service shows or withholds an answer by.

A ranked-first sentence is the least bad one, not necessarily an answer. What separates the two, measured on
several corpora (docs/evaluation.md, "Answer or withhold"):
- how much of the question the sentence covers, alone and together with its post's title and author and its
  neighbouring sentences, weighted by how rare each term is; and whether the question's rarest term is there;
- how much of the question the corpus knows at all: a question about "Rust's borrow checker" asked of a blog that
  never says "Rust" has a term no passage holds;
- whether the sentence holds what the question asks for (a name for "who", a date for "when", a number for "how
  many");
- how far the best candidate stands above the others, and how strongly its passage matches the question's words
  against the most any passage could (BM25 over its ceiling), which, unlike fused scores, is not relative to the
  other candidates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.lexical import analyse

FEATURES = (
    "cosine",
    "share",
    "context_share",
    "known_share",
    "rarest_in_context",
    "type_missing",
    "margin",
    "cosine_margin",
    "bm25_ceiling_share",
)

_WORD = re.compile(r"[A-Za-z][\w'’-]*")
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday "
    "yesterday today tomorrow week weeks month months year years decade decades century ago"
).split()
_DATE_WORDS = re.compile(r"\b(" + "|".join(_MONTHS) + r")\b", re.IGNORECASE)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions dozen dozens half twice double triple percent"
).split()
_NUMBER = re.compile(r"\d|\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
# What a question asks for, by its opening words (the first match wins).
_ASKS = (
    (
        re.compile(r"\b(how (many|much|long|old|far|big|large|fast|often)|what (percentage|number|proportion))\b"),
        "number",
    ),
    (re.compile(r"\b(when|what (year|date|day|month|time|decade|century)|which (year|date|day|month))\b"), "date"),
    (re.compile(r"\b(who|whom|whose)\b"), "name"),
    (re.compile(r"\bwhere\b"), "name"),
)


def asked_type(question: str) -> str | None:
    """ "number", "date" or "name" when the question's wording asks for one, else None."""
    lowered = question.lower()
    return next((kind for pattern, kind in _ASKS if pattern.search(lowered)), None)


def holds_type(sentence: str, kind: str, question: str) -> bool:
    """Whether the sentence holds something of the asked kind that the question does not already say."""
    return TypeCheck(kind, question).holds(sentence)


class TypeCheck:
    """holds_type for one question, its words read once, for the many sentences that compete to answer it."""

    def __init__(self, kind: str, question: str) -> None:
        self.kind = kind
        self.asked = {_bare(word) for word in re.findall(r"[\w'’-]+", question)}

    def holds(self, sentence: str) -> bool:
        if self.kind == "name":
            # A capitalised word past the sentence's first that the question does not hold: a name, a place.
            words = _WORD.findall(sentence)
            return any(word[0].isupper() and _bare(word) not in self.asked for word in words[1:])
        patterns = (_NUMBER,) if self.kind == "number" else (_YEAR, _DATE_WORDS)
        # A year or number the question names is no answer to it.
        return any(
            _token_at(sentence, m.start()) not in self.asked for pattern in patterns for m in pattern.finditer(sentence)
        )


def _token_at(text: str, start: int) -> str:
    """The word (or number) that starts at or holds position start, bare."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "'’-"):
        start -= 1
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] in "'’-"):
        end += 1
    return _bare(text[start:end])


def _bare(word: str) -> str:
    """A word in lower case without a possessive ("Go's" is "go")."""
    word = word.lower()
    return word[:-2] if word.endswith(("'s", "’s")) else word


@dataclass(frozen=True)
class Evidence:
    """What the confidence is computed from, for one candidate: one value per name in FEATURES."""

    values: tuple[float, ...]

    def as_dict(self) -> dict[str, float]:
        return dict(zip(FEATURES, self.values, strict=True))


def evidence(
    question: str,
    weights: dict[str, float],
    known: set[str],
    sentence: str,
    context: Sequence[str],
    cosines: Sequence[float],
    scores: Sequence[float],
    bm25: float,
    bm25_ceiling: float,
) -> Evidence:
    """The evidence for the best candidate (cosines and scores: every candidate's, best first).

    weights: each query term's idf; known: the query terms some passage holds; context: the post's title and
    author and the sentences around the candidate.
    """
    total = sum(weights.values())

    def share(terms: set[str]) -> float:
        return sum(w for term, w in weights.items() if term in terms) / total if total > 0 else 0.0

    own = set(analyse([sentence])[0])
    around = own.union(*analyse(list(context))) if context else own
    # The rarest term the corpus has: a term no passage holds is the rarest of all, and says nothing of this sentence.
    rarest = max(known, key=lambda term: weights[term]) if known else None
    kind = asked_type(question)
    others = list(cosines[1:]) or [0.0]
    values = (
        float(cosines[0]),
        share(own),
        share(around),
        share(known),
        1.0 if rarest is not None and rarest in around else 0.0,
        1.0 if kind is not None and not holds_type(sentence, kind, question) else 0.0,
        float(scores[0] - scores[1]) if len(scores) > 1 else float(scores[0]),
        float(cosines[0] - float(np.median(others))),
        min(1.0, bm25 / bm25_ceiling) if bm25_ceiling > 0 else 0.0,
    )
    return Evidence(values)


@dataclass(frozen=True)
class ConfidenceModel:
    """A logistic model over FEATURES: confidence = 1 / (1 + exp(-(bias + weights · evidence)))."""

    bias: float
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a confidence model needs {len(FEATURES)} weights ({', '.join(FEATURES)})")

    def confidence(self, found: Evidence) -> float:
        logit = self.bias + sum(w * x for w, x in zip(self.weights, found.values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))
