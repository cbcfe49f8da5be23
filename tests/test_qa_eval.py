"""Answers measured as readers see them: --qa question files over a corpus, their check, and the outcome tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import read_sources
from index.answer import Answer, AnswerResult, AnswerSettings
from index.errors import CorpusError
from index.evaluation.outcomes import Outcome, group, outcome_of, outcome_report, reliability, render
from index.evaluation.qa import check_qa, evaluate_qa, is_right, load_qa, post_matches
from index.records import Passage, Post
from index.search import Index
from tests.conftest import create_test_app
from tests.test_cli import run
from tests.test_evaluate import last_json

POSTS = [
    {
        "id": "whales",
        "title": "Blue whales",
        "url": "https://blog.example/whales",
        "text": "The blue whale is a marine mammal. It can reach 30 metres in length. "
        "Blue whales feed almost only on krill.",
    },
    {
        "id": "rice",
        "title": "Growing rice",
        "url": "https://blog.example/rice",
        "text": "Rice is the seed of the grass species Oryza sativa. It is grown in flooded paddies in Asia.",
    },
    {
        "id": "bees",
        "title": "Orchard bees",
        "text": "Orchard bees pollinate apple blossom in spring. Mason bees nest in hollow reeds.",
    },
]
QUESTIONS = [
    # Close to the sentence's own words, so shown by any sensible decision.
    {"q": "Blue whales feed almost only on what?", "answer": "krill", "post": "Blue whales", "kind": "right"},
    # The gold answer is in the post, but not in the sentence that answers the question: shown, and wrong.
    {"q": "Blue whales feed almost only on what?", "answer": "30 metres", "post": "whales", "kind": "wrong"},
    {"q": "Who won the chess olympiad in 1990?", "kind": "unrelated"},
    {"q": "What does a mortgage broker charge?", "kind": "unrelated"},
    {"q": "Where is rice grown?", "answer": ["flooded paddies", "paddies"], "post": "http://BLOG.example/rice/"},
]


def write_lines(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """The corpus, the questions, and one evaluation of them (its index built in the folder)."""
    folder = tmp_path_factory.mktemp("qa")
    corpus = write_lines(folder / "posts.jsonl", POSTS)
    questions = write_lines(folder / "questions.jsonl", QUESTIONS)
    return corpus, questions, evaluate_qa(questions, [corpus], work_dir=folder / "work")


def test_the_counts_add_up_and_right_wrong_and_withheld_are_told_apart(tiny):
    _, _, result = tiny
    assert (result["questions"], result["answerable"], result["unanswerable"]) == (5, 3, 2)
    assert result["problems"] == []
    outcomes = result["outcomes"]
    for name in ("answerable", "unanswerable"):
        row = outcomes[name]
        assert row["shown_right"] + row["shown_wrong"] + row["withheld"] == row["questions"]
    assert outcomes["unanswerable"]["shown_right"] == 0
    assert sum(row["questions"] for row in outcomes["reliability"]) == 5
    by_line = {d["line"]: d for d in result["details"]}
    assert (by_line[1]["shown"], by_line[1]["right"]) == (True, True), by_line[1]
    assert (by_line[2]["shown"], by_line[2]["right"]) == (True, False), by_line[2]
    assert not by_line[3]["shown"] and not by_line[3]["right"], by_line[3]
    assert outcomes["kinds"]["right"]["shown_right"] == 1 and outcomes["kinds"]["wrong"]["shown_wrong"] == 1
    assert outcomes["kinds"]["unrelated"]["answerable"] is False
    assert result["answer_sentence@1"] == pytest.approx(sum(by_line[n]["right"] for n in (1, 2, 5)) / 3, abs=1e-4)


def test_shown_is_what_the_api_shows(tiny):
    corpus, _, result = tiny
    # Opened as the service opens it: the version's own query model.
    client = create_test_app(Index.open(corpus.parent / "work")).test_client()
    for detail in result["details"]:
        answer = client.get("/api/answer", query_string={"q": detail["q"]}).get_json()["answer"]
        assert (answer is not None) == detail["shown"], detail
        assert detail["shown"] == (detail["confidence"] >= AnswerSettings().threshold), detail
        assert answer is None or answer["text"] == detail["sentence"]


def test_evaluate_prints_the_tables_and_the_json_and_reuses_the_index(tiny):
    corpus, questions, first = tiny
    work = str(corpus.parent / "work")
    args = ("scripts/evaluate.py", "--qa", str(questions), "--corpus", str(corpus), "--work", work)
    done = run(*args, "--json")
    result = last_json(done)
    assert result["index_version"] == first["index_version"], "a rerun reuses the built index"
    assert result["outcomes"] == first["outcomes"]
    assert "shown, right" in done.stdout and "reliability" in done.stdout
    crossed = last_json(run(*args, "--unanswerable", "--json"))
    assert (crossed["answerable"], crossed["unanswerable"]) == (0, 5)
    assert crossed["outcomes"]["unanswerable"]["questions"] == 5


def test_the_check_reports_answers_not_in_their_post_and_posts_it_cannot_find(tmp_path):
    corpus = write_lines(tmp_path / "posts.jsonl", POSTS)
    lines = [
        {"q": "What do blue whales eat?", "answer": "plankton", "post": "whales"},
        {"q": "What do bees pollinate?", "answer": "apple blossom", "post": "Orchard Bees"},
        {"q": "Where is rice grown?", "answer": "flooded paddies", "post": "no such post"},
        {"q": "What is Oryza sativa?", "answer": "grass species"},
        {"q": "Who wrote Hamlet?", "answer": "Shakespeare"},
        {"q": "Who won the chess olympiad?"},
        {"q": "What do bees pollinate?", "answer": "apple blossom", "post": ["bees", "whales"]},
    ]
    questions = write_lines(tmp_path / "q.jsonl", lines)
    problems = check_qa(load_qa(questions), read_sources([corpus]).posts)
    assert len(problems) == 4, problems
    assert problems[0].startswith(f"{questions}:1: answer 'plankton' is not in the text of post 'whales'")
    assert problems[1].startswith(f"{questions}:3: post 'no such post' matches no post")
    assert problems[2].startswith(f"{questions}:5: answer 'Shakespeare' is in no post's text")
    assert problems[3].startswith(f"{questions}:7: answer 'apple blossom' is not in the text of post 'whales'")
    done = run("scripts/evaluate.py", "--qa", str(questions), "--corpus", str(corpus), "--check")
    assert done.returncode == 1 and "plankton" in done.stdout
    fine = write_lines(tmp_path / "fine.jsonl", lines[1:2])
    done = run("scripts/evaluate.py", "--qa", str(fine), "--corpus", str(corpus), "--check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_right_means_an_answer_from_any_post_named(tmp_path: Path):
    lines = [
        {"q": "Where?", "answer": ["Portland", "Oregon"], "post": ["osconreport", "oscon.md"]},
        {"q": "Where?", "answer": "Portland"},
    ]
    named, anywhere = load_qa(write_lines(tmp_path / "q.jsonl", lines))
    places = [("Portland", "oscon.md"), ("Oregon", "osconreport.md"), ("Portland", "go1.md")]
    preview, report, other = (answer(f"OSCON is in {city}.", 0.5, source) for city, source in places)
    assert is_right(named, preview) and is_right(named, report) and not is_right(named, other)
    assert is_right(anywhere, other) and not is_right(anywhere, report)


def test_a_post_named_twice_over_is_reported(tmp_path: Path):
    twins = [Post("a", "Same title", "Krill are small."), Post("b", "same  TITLE", "Krill again.")]
    questions = write_lines(tmp_path / "q.jsonl", [{"q": "What are krill?", "answer": "small", "post": "Same title"}])
    assert "matches 2 posts" in check_qa(load_qa(questions), twins)[0]


@pytest.mark.parametrize(
    ("wanted", "matches"),
    [
        ("p-1", True),
        ("https://go.dev/blog/gc-2018", True),
        ("HTTP://go.dev/blog/gc-2018/", True),
        ("getting to  go", True),
        ("gc-2018.md", True),
        ("gc-2018", True),
        ("gc", False),
        ("go.dev/blog", False),
    ],
)
def test_a_post_is_named_by_its_id_url_title_or_file_name(wanted: str, matches: bool):
    post = Post("p-1", "Getting to Go", "text", url="https://go.dev/blog/gc-2018", source="gc-2018.md")
    assert post_matches(post, wanted) is matches


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('"just a string"', "one JSON object"),
        ('{"q": ""}', '"q" must be'),
        ('{"q": "x", "answer": []}', '"answer" must be'),
        ('{"q": "x", "answer": ["ok", 3]}', '"answer" must be'),
        ('{"q": "x", "post": "p"}', "without"),
        ('{"q": "x", "answer": "y", "post": ["p", ""]}', '"post" must be'),
        ('{"q": "x", "answer": "y", "kind": 1}', '"kind"'),
        ("{not json", "not a JSON line"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, problem: str):
    path = tmp_path / "q.jsonl"
    path.write_text('{"q": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=problem) as caught:
        load_qa(path)
    assert ":2" in str(caught.value)


def test_unanswerable_drops_answers_and_posts(tmp_path: Path):
    path = write_lines(tmp_path / "q.jsonl", QUESTIONS)
    assert [q.answerable for q in load_qa(path, unanswerable=True)] == [False] * len(QUESTIONS)
    assert all(q.posts == () for q in load_qa(path, unanswerable=True))
    assert [q.kind for q in load_qa(path, unanswerable=True)][:3] == ["right", "wrong", "unrelated"]


def answer(text: str, confidence: float, source: str | None = None) -> Answer:
    post = Post("p", "T", text, source=source)
    return Answer(text, 0, len(text), confidence, 1.0, Passage("p#0", "p", 0, 0, len(text), text), post)


def test_outcome_of_follows_the_service_decision_and_the_top_candidate():
    krill, mammal = answer("They eat krill.", 0.9), answer("A marine mammal.", 0.2)
    holds = lambda a: "krill" in a.text  # noqa: E731
    shown = outcome_of(AnswerResult(krill, [], [krill, mammal]), True, holds, None)
    assert (shown.shown, shown.right, shown.confidence) == (True, True, 0.9)
    withheld_right = outcome_of(AnswerResult(None, [], [answer("They eat krill.", 0.1)]), True, holds, None)
    assert (withheld_right.shown, withheld_right.right) == (False, True)
    wrong = outcome_of(AnswerResult(mammal, [], [mammal, krill]), True, holds, "k")
    assert (wrong.shown, wrong.right, wrong.kind) == (True, False, "k")
    unanswerable = outcome_of(AnswerResult(krill, [], [krill]), False, holds, None)
    assert (unanswerable.shown, unanswerable.right) == (True, False), "never right when the corpus cannot answer"
    empty = outcome_of(AnswerResult(None, [], []), True, holds, None)
    assert (empty.shown, empty.right, empty.confidence) == (False, False, None)


def test_the_report_groups_and_bins():
    outcomes = [
        Outcome(True, True, True, 0.95, "who"),
        Outcome(True, True, False, 0.5, "who"),
        Outcome(True, False, True, 0.15, "when"),
        Outcome(True, False, False, 0.05, "when"),
        Outcome(False, False, False, 0.1, "unrelated"),
        Outcome(False, True, False, 1.0, "unrelated"),
        Outcome(False, False, False, None, "unrelated"),
    ]
    answerable = group(outcomes[:4])
    assert (answerable["shown_right"], answerable["shown_wrong"], answerable["withheld"]) == (1, 1, 2)
    assert answerable["withheld_top_right"] == 1 and answerable["shown_right_share"] == 0.25
    bins = reliability(outcomes)
    assert [row["questions"] for row in bins] == [1, 2, 0, 0, 0, 1, 0, 0, 0, 2], "0.1 falls in 0.1-0.2, 1.0 in the last"
    assert bins[1]["right"] == 1 and bins[1]["share_right"] == 0.5 and bins[2]["share_right"] is None
    report = outcome_report(outcomes, 0.39)
    assert report["no_candidate"] == 1 and report["unanswerable"]["withheld"] == 2
    assert set(report["kinds"]) == {"who", "when", "unrelated"} and report["kinds"]["who"]["answerable"]
    text = render(report)
    assert "cannot answer" in text and "cannot answer: unrelated" in text and "0.9-1.0" in text
