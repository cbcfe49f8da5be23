"""Fit the answer confidence (index/confidence.py) on several corpora, and check it by leaving each out.

Each question set gives one example per question: the evidence of its best candidate sentence, and whether that
sentence is right (never for a question the corpus cannot answer). Every group weighs the same in the fit, whatever
its size, so 1,000 SQuAD questions do not drown 120 blog questions, and nothing depends on a dataset's name: the
groups are only the unit that is left out.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from index.answer import Answer, AnswerSettings, answer_question
from index.build import BuildSettings
from index.confidence import FEATURES, ConfidenceModel
from index.evaluation.qa import is_right, load_qa, work_dir_for
from index.evaluation.squad import PARTS, QuestionVectors, contains_answer, load_squad, open_or_build
from index.ingest import read_sources
from index.request import SearchRequest
from index.search import Index

# A wrong answer shown costs what a right one gains, so the threshold is 0.5 on a confidence fitted with every group
# weighing the same (a cost of 2 or 3 withheld most right answers on every blog set: docs/evaluation.md).
WRONG_COST = 1.0
L2 = 1e-2


@dataclass(frozen=True)
class Example:
    group: str
    answerable: bool
    right: bool
    values: tuple[float, ...]


def examples_of(
    index: Index, questions: Sequence[tuple[str, bool, Callable[[Answer], bool]]], group: str, progress: bool
) -> list[Example]:
    """One example per (question, answerable, is_right) asked of the index as /api/answer asks it."""
    index.encoder = QuestionVectors(index.encoder, [q for q, _, _ in questions])
    found = []
    for text, answerable, right in tqdm(questions, desc=group, unit="q", disable=not progress):
        result = answer_question(index, SearchRequest(text))
        top = result.candidates[0] if result.candidates else None
        if top is None or top.evidence is None:
            continue
        found.append(Example(group, answerable, answerable and right(top), top.evidence.values))
    return found


def qa_examples(path: Path, sources: list[Path], group: str, unanswerable: bool, progress: bool) -> list[Example]:
    questions = load_qa(path, unanswerable)
    posts = read_sources(sources).posts
    index = open_or_build(posts, work_dir_for(sources, None), BuildSettings(), progress)
    asked = [(q.text, q.answerable, partial(is_right, q)) for q in questions]
    return examples_of(index, asked, group, progress)


def squad_examples(path: Path, group: str, count: int, seed: int, progress: bool) -> list[Example]:
    """count questions of the file's tuning half of articles (the other half is never fitted on), drawn with seed."""
    squad = load_squad(path)
    index = open_or_build(squad.posts, Path("var") / "eval" / f"squad-{path.stem}", BuildSettings(), progress)
    tuning = [q for q in squad.questions if q.part == PARTS[0]]
    chosen = random.Random(seed).sample(tuning, min(count, len(tuning)))
    asked = [(q.text, q.answerable, partial(_holds, q.answers)) for q in chosen]
    return examples_of(index, asked, group, progress)


def _holds(answers: tuple[str, ...], answer: Answer) -> bool:
    return contains_answer(answer.text, answers)


def save(examples: list[Example], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(example.__dict__) + "\n")


def load(path: Path) -> list[Example]:
    with path.open(encoding="utf-8") as handle:
        return [Example(**{**row, "values": tuple(row["values"])}) for row in map(json.loads, handle)]


def fit(examples: Sequence[Example], l2: float = L2, steps: int = 50) -> ConfidenceModel:
    """Logistic regression by Newton's method, each group weighing the same; features standardised for the fit and
    the weights mapped back, so the model applies to raw evidence."""
    x = np.array([e.values for e in examples], dtype=np.float64)
    y = np.array([e.right for e in examples], dtype=np.float64)
    sizes: dict[str, int] = {}
    for e in examples:
        sizes[e.group] = sizes.get(e.group, 0) + 1
    w = np.array([len(examples) / (len(sizes) * sizes[e.group]) for e in examples])
    mean, spread = x.mean(axis=0), x.std(axis=0)
    spread[spread < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / spread])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2 * len(x))
    penalty[0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -60, 60)))
        gradient = z.T @ (w * (p - y)) + penalty * beta
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = beta[1:] / spread
    bias = float(beta[0] - (weights * mean).sum())
    return ConfidenceModel(round(bias, 4), tuple(round(float(v), 4) for v in weights))


def confidences(model: ConfidenceModel, examples: Sequence[Example]) -> np.ndarray:
    x = np.array([e.values for e in examples], dtype=np.float64)
    logits = model.bias + x @ np.array(model.weights)
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))


def best_threshold(cost: float = WRONG_COST) -> float:
    """Show when the expected gain is positive: a calibrated chance p of being right gains p and costs
    (1 - p) * cost, so the threshold is cost / (1 + cost). Fixed by the cost, never tuned on the sets."""
    return cost / (1.0 + cost)


def table(examples: Sequence[Example], p: np.ndarray, threshold: float) -> dict[str, Any]:
    """Shown and right, shown and wrong, withheld: over answerable questions, and withheld over the others."""
    shown = p >= threshold
    answerable = np.array([e.answerable for e in examples])
    right = np.array([e.right for e in examples])
    row: dict[str, Any] = {"questions": len(examples)}
    if answerable.any():
        n = int(answerable.sum())
        row["answerable"] = n
        row["shown_right"] = round(float((shown & right & answerable).sum()) / n, 3)
        row["shown_wrong"] = round(float((shown & ~right & answerable).sum()) / n, 3)
        row["withheld"] = round(float((~shown & answerable).sum()) / n, 3)
        row["top_right"] = round(float((right & answerable).sum()) / n, 3)
    if (~answerable).any():
        n = int((~answerable).sum())
        row["unanswerable"] = n
        row["unanswerable_withheld"] = round(float((~shown & ~answerable).sum()) / n, 3)
    return row


def leave_one_out(examples: Sequence[Example]) -> dict[str, dict[str, Any]]:
    """For each group: fitted (model and threshold) on the others, measured on it."""
    report = {}
    for group in sorted({e.group for e in examples}):
        rest = [e for e in examples if e.group != group]
        held = [e for e in examples if e.group == group]
        model = fit(rest)
        threshold = best_threshold()
        report[group] = {"threshold": round(threshold, 3), **table(held, confidences(model, held), threshold)}
    return report


def today(examples: Sequence[Example], settings: AnswerSettings = AnswerSettings()) -> dict[str, dict[str, Any]]:
    """Each group under the service's model and threshold now."""
    report = {}
    for group in sorted({e.group for e in examples}):
        held = [e for e in examples if e.group == group]
        report[group] = table(held, confidences(settings.confidence, held), settings.threshold)
    return report


def describe(model: ConfidenceModel) -> str:
    """The model as the line index/answer.py holds it, and each weight by name."""
    named = ", ".join(f"{name} {weight:+.4f}" for name, weight in zip(FEATURES, model.weights, strict=True))
    return f"ConfidenceModel(bias={model.bias}, weights={model.weights})  # {named}"
