"""Measure answers on a SQuAD-format file: every paragraph a passage, every question through answer_question."""

from __future__ import annotations

import json
import re
import string
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from index import store
from index.answer import Answer, AnswerResult, AnswerSettings, answer_question
from index.build import BuildSettings, build, up_to_date
from index.errors import CorpusError, IndexFormatError
from index.evaluation.outcomes import outcome_of, outcome_report
from index.fusion import FusionSettings
from index.model.encoder import Encoder
from index.records import Post
from index.request import SearchRequest
from index.search import Index

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)
# Half the articles choose settings, the other half only report: article i is in the tuning half when i is even.
PARTS = ("tune", "rest")
RECALL_DEPTH = 5


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    text: str
    post_id: str
    answers: tuple[str, ...]
    part: str

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class SquadSet:
    name: str
    version: str
    posts: list[Post]
    questions: list[SquadQuestion]


def normalise_answer(text: str) -> str:
    """SQuAD's normalisation: lower-case, drop punctuation and the articles a/an/the, collapse white space."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(sentence: str, answers: tuple[str, ...]) -> bool:
    """Whether a gold answer occurs in the sentence as whole words, both SQuAD-normalised."""
    padded = f" {normalise_answer(sentence)} "
    return any(f" {gold} " in padded for gold in map(normalise_answer, answers) if gold)


def load_squad(path: Path) -> SquadSet:
    """One post per paragraph (the article title as its title), and every question with its paragraph's id."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        posts, questions = [], []
        for a, article in enumerate(data["data"]):
            title = str(article["title"]).replace("_", " ")
            for p, paragraph in enumerate(article["paragraphs"]):
                post = Post(id=f"squad-{a}-{p}", title=title, text=paragraph["context"], source=path.name)
                posts.append(post)
                for qa in paragraph["qas"]:
                    answers = tuple(x["text"] for x in qa["answers"]) if not qa.get("is_impossible") else ()
                    questions.append(SquadQuestion(qa["id"], qa["question"], post.id, answers, PARTS[a % 2]))
    except OSError as exc:
        raise CorpusError(str(path), None, f"cannot read it ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise CorpusError(str(path), None, f"is not a SQuAD-format JSON file ({exc})") from None
    return SquadSet(path.stem, str(data.get("version", "")), posts, questions)


def open_or_build(posts: list[Post], work_dir: Path, settings: BuildSettings, progress: bool) -> Index:
    """The index in work_dir when it holds these posts built with these settings, else a fresh build there."""
    try:
        if up_to_date(store.verify_current(work_dir), posts, settings, work_dir):
            return Index.open(work_dir)
    except IndexFormatError:
        pass
    build(posts, work_dir, settings=settings, progress=progress)
    return Index.open(work_dir)


class QuestionVectors:
    """The index's encoder with every question embedded once up front (search and answer both ask for it).

    One question at a time, as the service embeds them: the int8 query model's activation scales depend on what
    else is in the batch, so batched vectors differ a little from served ones.
    """

    def __init__(self, encoder: Encoder, questions: list[str]) -> None:
        self.encoder = encoder
        self.model_id, self.weights_sha256, self.dimension = encoder.model_id, encoder.weights_sha256, encoder.dimension
        self.known = {text: encoder.encode([text])[0] for text in dict.fromkeys(questions)}

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if all(text in self.known for text in texts):
            return np.stack([self.known[text] for text in texts]) if texts else self.encoder.encode(texts)
        return self.encoder.encode(texts, batch_size, progress)


def score_question(question: SquadQuestion, result: AnswerResult) -> dict[str, bool]:
    """What one answer got right: the sentences returned, the passages retrieved, answering or abstaining."""
    sentences = [c.text for c in result.candidates]
    found = [hit.post.id for hit in result.hits]
    return {
        "answer_sentence@1": contains_answer(" ".join(sentences[:1]), question.answers),
        "answer_sentence@3": any(contains_answer(s, question.answers) for s in sentences[:3]),
        "answer_passage@1": bool(result.candidates) and result.candidates[0].post.id == question.post_id,
        "passage_recall@1": question.post_id in found[:1],
        "passage_recall@5": question.post_id in found[:RECALL_DEPTH],
        "answered": result.answer is not None,
    }


def summarise(questions: list[SquadQuestion], outcomes: list[dict[str, bool]]) -> dict[str, Any]:
    """Means over the answerable questions, and how often the service answered or abstained when it should."""
    answerable = [o for q, o in zip(questions, outcomes, strict=True) if q.answerable]
    summary: dict[str, Any] = {"questions": len(questions), "answerable": len(answerable)}
    for name in ("answer_sentence@1", "answer_sentence@3", "answer_passage@1", "passage_recall@1", "passage_recall@5"):
        summary[name] = _mean([o[name] for o in answerable])
    summary["answered"] = _mean([o["answered"] for o in outcomes])
    answered = [o for o in answerable if o["answered"]]
    summary["answer_precision"] = _mean([o["answer_sentence@1"] for o in answered])
    if len(answerable) < len(questions):
        unanswerable = [o for q, o in zip(questions, outcomes, strict=True) if not q.answerable]
        summary["abstention_accuracy"] = _mean(
            [o["answered"] == q.answerable for q, o in zip(questions, outcomes, strict=True)]
        )
        summary["answerable_answered"] = _mean([o["answered"] for o in answerable])
        summary["unanswerable_abstained"] = _mean([not o["answered"] for o in unanswerable])
    return summary


def _mean(values: list[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def evaluate_squad(
    path: Path, work_dir: Path | None = None, progress: bool = False, fusion: FusionSettings = FusionSettings()
) -> dict[str, Any]:
    """Build (or reuse) an index of the file's paragraphs in work_dir, answer every question, and score the answers.

    Figures are given for all questions and for each half of the articles (`tune` chose the settings); fusion is
    how the hybrid ranking under the answers fuses (the service's defaults unless given).
    """
    started = time.perf_counter()
    squad = load_squad(path)
    work_dir = Path(work_dir or Path("var") / "eval" / f"squad-{path.stem}")
    index = open_or_build(squad.posts, work_dir, BuildSettings(), progress)
    index.fusion = fusion
    built = time.perf_counter()
    index.encoder = QuestionVectors(index.encoder, [q.text for q in squad.questions])
    outcomes, seen = [], []
    for question in tqdm(squad.questions, desc="questions", unit="q", disable=not progress):
        answered = answer_question(index, SearchRequest(question.text))  # as /api/answer asks: its default k
        outcomes.append(score_question(question, answered))
        seen.append(outcome_of(answered, question.answerable, _holds(question), None))
    finished = time.perf_counter()
    result: dict[str, Any] = {"dataset": squad.name, "version": squad.version, **summarise(squad.questions, outcomes)}
    for part in PARTS:
        chosen = [(q, o) for q, o in zip(squad.questions, outcomes, strict=True) if q.part == part]
        result[part] = summarise([q for q, _ in chosen], [o for _, o in chosen])
    result.update(
        {
            "fusion": asdict(fusion),
            "index_version": index.version,
            "posts": index.manifest.posts,
            "passages": index.manifest.passages,
            "build_s": round(built - started, 2),
            "answer_ms_per_question": round(1000 * (finished - built) / max(len(squad.questions), 1), 2),
            "outcomes": outcome_report(seen, AnswerSettings().threshold),
        }
    )
    return result


def _holds(question: SquadQuestion) -> Callable[[Answer], bool]:
    """Right, as answer_sentence@1 counts it: the sentence holds a gold answer."""
    return lambda answer: contains_answer(answer.text, question.answers)
