"""Measure answers on questions written for a corpus: JSON Lines of {"q", "answer"?, "post"?, "kind"?} over any
sources the build reads; a line without an answer asks what the corpus cannot answer."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path, PurePath
from typing import Any

from tqdm import tqdm

from index.answer import Answer, AnswerSettings, answer_question
from index.build import BuildSettings
from index.errors import CorpusError
from index.evaluation.outcomes import outcome_of, outcome_report
from index.evaluation.squad import QuestionVectors, SquadSet, contains_answer, open_or_build
from index.fusion import FusionSettings
from index.ingest import read_sources
from index.ingest.ids import normalise_url
from index.jsonl import LineError, rows
from index.records import Post
from index.request import SearchRequest


@dataclass(frozen=True)
class QaQuestion:
    """One line: the question, its short answers (any one counts; none: the corpus cannot answer it), the posts
    that answer it (each by its id, URL, title or file name; any one counts; none named: any post), and a free
    label to break results down by."""

    source: str
    line: int
    text: str
    answers: tuple[str, ...]
    posts: tuple[str, ...]
    kind: str | None

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


def load_qa(path: Path, unanswerable: bool = False) -> list[QaQuestion]:
    """Every line's question; with unanswerable, every question is one the corpus cannot answer (answers and posts
    dropped: questions written for another corpus)."""
    questions = []
    try:
        for number, value in rows(path):
            question = _question(value, str(path), number)
            if unanswerable:
                question = QaQuestion(question.source, number, question.text, (), (), question.kind)
            questions.append(question)
    except OSError as exc:
        raise CorpusError(str(path), None, f"cannot read it ({exc.strerror})") from None
    except LineError as exc:
        raise CorpusError(str(path), exc.line, f"not a JSON line ({exc})") from None
    if not questions:
        raise CorpusError(str(path), None, "holds no questions")
    return questions


def _question(value: Any, source: str, line: int) -> QaQuestion:
    def refuse(problem: str) -> CorpusError:
        return CorpusError(source, line, problem)

    if not isinstance(value, dict):
        raise refuse('a line is one JSON object: {"q": ..., "answer": ..., "post": ...}')
    text, answer, post, kind = value.get("q"), value.get("answer"), value.get("post"), value.get("kind")
    if not isinstance(text, str) or not text.strip():
        raise refuse('"q" must be the question, a non-empty string')
    answers = [answer] if isinstance(answer, str) else answer
    if answers is not None and (
        not isinstance(answers, list) or not answers or not all(isinstance(a, str) and a.strip() for a in answers)
    ):
        raise refuse('"answer" must be a non-empty string or a list of them; leave it out when the corpus cannot')
    posts = [post] if isinstance(post, str) else post
    if posts is not None and (
        not isinstance(posts, list) or not posts or not all(isinstance(p, str) and p.strip() for p in posts)
    ):
        raise refuse('"post" must be a post\'s id, URL, title or file name, or a list of them')
    if posts is not None and answers is None:
        raise refuse('"post" without "answer": a question the corpus cannot answer has no post')
    if kind is not None and not isinstance(kind, str):
        raise refuse('"kind" must be a string')
    return QaQuestion(source, line, text.strip(), tuple(answers or ()), tuple(posts or ()), kind)


def post_matches(post: Post, wanted: str) -> bool:
    """Whether `wanted` names the post: its id; its URL (scheme, case and a trailing slash ignored); its title
    (case and spacing ignored); or its source file's name, with or without the extension (a markdown or HTML file:
    one post per file)."""
    wanted = wanted.strip()
    folded = " ".join(wanted.split()).casefold()
    if wanted == post.id:
        return True
    if post.url and normalise_url(post.url) == normalise_url(wanted):
        return True
    if post.title and " ".join(post.title.split()).casefold() == folded:
        return True
    return bool(post.source) and folded in (str(post.source).casefold(), PurePath(str(post.source)).stem.casefold())


def check_qa(questions: list[QaQuestion], posts: list[Post]) -> list[str]:
    """What is wrong with the questions for this corpus, one `file:line: problem` each: a post named that is no
    post or more than one, or a post whose text holds none of the answers (with no post named: no post that does)."""
    problems = []
    for question in questions:
        if not question.answerable:
            continue
        shown = " or ".join(repr(a) for a in question.answers)
        if not question.posts and not any(contains_answer(post.text, question.answers) for post in posts):
            problems.append(f"{question.where}: answer {shown} is in no post's text")
        for wanted in question.posts:
            named = [post for post in posts if post_matches(post, wanted)]
            if not named:
                problems.append(f"{question.where}: post {wanted!r} matches no post (give its id, URL or title)")
            elif len(named) > 1:
                problems.append(f"{question.where}: post {wanted!r} matches {len(named)} posts; give its id or URL")
            elif not contains_answer(named[0].text, question.answers):
                problems.append(f"{question.where}: answer {shown} is not in the text of post {wanted!r}")
    return problems


def validate_qa(path: Path, sources: list[Path], base_url: str | None = None) -> list[str]:
    """check_qa for a question file against the corpus the sources make, without building an index."""
    return check_qa(load_qa(path), read_sources(sources, base_url=base_url).posts)


def squad_sample(squad: SquadSet, count: int) -> list[dict[str, Any]]:
    """`count` answerable questions of a SQuAD set spread evenly over it, as question lines without answers (each
    one asked of another corpus, which cannot answer it); `kind` names the set."""
    asked = [q for q in squad.questions if q.answerable]
    step = max(len(asked) // max(count, 1), 1)
    kind = f"squad{squad.version or ''}"
    return [{"q": q.text, "kind": kind, "squad_id": q.id} for q in asked[::step][:count]]


def is_right(question: QaQuestion, answer: Answer) -> bool:
    """The sentence holds an answer (SQuAD-normalised, whole words) and comes from a post named, if any is."""
    in_post = not question.posts or any(post_matches(answer.post, wanted) for wanted in question.posts)
    return in_post and contains_answer(answer.text, question.answers)


def work_dir_for(sources: list[Path], base_url: str | None) -> Path:
    """var/eval/qa-<first source's name>-<hash of every source's path and the base URL>: one index per corpus."""
    key = json.dumps([[str(Path(s).resolve()) for s in sources], base_url])
    return Path("var") / "eval" / f"qa-{Path(sources[0]).resolve().name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def evaluate_qa(
    path: Path,
    sources: list[Path],
    work_dir: Path | None = None,
    unanswerable: bool = False,
    base_url: str | None = None,
    progress: bool = False,
    fusion: FusionSettings = FusionSettings(),
) -> dict[str, Any]:
    """Build (or reuse) an index of the sources in work_dir, ask every question as /api/answer is asked (the service's
    request defaults; fusion as the service's unless given) and report what readers see, with each question's fate."""
    started = time.perf_counter()
    questions = load_qa(path, unanswerable)
    posts = read_sources(sources, base_url=base_url).posts
    problems = check_qa(questions, posts)
    index = open_or_build(posts, Path(work_dir or work_dir_for(sources, base_url)), BuildSettings(), progress)
    index.fusion = fusion
    built = time.perf_counter()
    index.encoder = QuestionVectors(index.encoder, [q.text for q in questions])
    seen, details = [], []
    for question in tqdm(questions, desc="questions", unit="q", disable=not progress):
        result = answer_question(index, SearchRequest(question.text))
        outcome = outcome_of(result, question.answerable, partial(is_right, question), question.kind)
        top = result.candidates[:3]
        seen.append(outcome)
        details.append(
            {
                "line": question.line,
                "q": question.text,
                "kind": question.kind,
                "answerable": question.answerable,
                "shown": outcome.shown,
                "right": outcome.right,
                "confidence": None if outcome.confidence is None else round(outcome.confidence, 4),
                "sentence": top[0].text if top else None,
                "post": top[0].post.title if top else None,
                "right@3": any(is_right(question, c) for c in top) if question.answerable else False,
            }
        )
    finished = time.perf_counter()
    answerable = [d for d in details if d["answerable"]]
    return {
        "dataset": path.stem,
        "corpus": [str(s) for s in sources],
        "questions": len(questions),
        "answerable": len(answerable),
        "unanswerable": len(questions) - len(answerable),
        "answer_sentence@1": _mean([d["right"] for d in answerable]),
        "answer_sentence@3": _mean([d["right@3"] for d in answerable]),
        "problems": problems,
        "fusion": asdict(index.fusion),
        "index_version": index.version,
        "posts": index.manifest.posts,
        "passages": index.manifest.passages,
        "build_s": round(built - started, 2),
        "answer_ms_per_question": round(1000 * (finished - built) / len(questions), 2),
        "outcomes": outcome_report(seen, AnswerSettings().threshold),
        "details": details,
    }


def _mean(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
