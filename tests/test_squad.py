"""SQuAD evaluation: the answer normalisation and a whole run on a tiny SQuAD-format file."""

from __future__ import annotations

import json

import pytest

from index.evaluation.squad import contains_answer, evaluate_squad, load_squad, normalise_answer
from index.fusion import FusionSettings
from index.search import Index

TINY = {
    "version": "v2.0",
    "data": [
        {
            "title": "Blue_Whale",
            "paragraphs": [
                {
                    "context": "The blue whale is a marine mammal. It can reach 30 metres in length. "
                    "Blue whales feed almost only on krill.",
                    "qas": [
                        {"id": "q1", "question": "What do blue whales eat?", "answers": [{"text": "krill"}]},
                        {"id": "q2", "question": "How long can a blue whale grow?", "answers": [{"text": "30 metres"}]},
                    ],
                }
            ],
        },
        {
            "title": "Rice",
            "paragraphs": [
                {
                    "context": "Rice is the seed of the grass species Oryza sativa. It is grown in flooded paddies.",
                    "qas": [
                        {"id": "q3", "question": "Where is rice grown?", "answers": [{"text": "flooded paddies"}]},
                        {"id": "q4", "question": "Who won the chess olympiad?", "answers": [], "is_impossible": True},
                    ],
                }
            ],
        },
    ],
}


@pytest.mark.parametrize(
    ("text", "normal"),
    [("The Denver Broncos!", "denver broncos"), ("  an   apple, a day ", "apple day"), ("Theory", "theory")],
)
def test_normalise_answer_like_squad(text: str, normal: str):
    assert normalise_answer(text) == normal


def test_contains_answer_needs_whole_words():
    assert contains_answer("It won the Super Bowl in 2016.", ("super bowl",))
    assert not contains_answer("Their 20 titles.", ("0",))
    assert not contains_answer("anything", ())


def test_load_squad_makes_a_post_per_paragraph(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY), encoding="utf-8")
    squad = load_squad(path)
    assert [p.title for p in squad.posts] == ["Blue Whale", "Rice"]
    assert [q.part for q in squad.questions] == ["tune", "tune", "rest", "rest"]
    assert [q.answerable for q in squad.questions] == [True, True, True, False]


def test_evaluate_squad_on_a_tiny_file(tmp_path, monkeypatch):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY), encoding="utf-8")
    result = evaluate_squad(path, work_dir=tmp_path / "work")
    assert result["questions"] == 4 and result["answerable"] == 3
    assert result["passage_recall@1"] == 1.0 and result["answer_sentence@3"] == 1.0
    # "It can reach 30 metres" names no whale: against "The blue whale is a marine mammal" it is a near tie that
    # int8 and fp32 query vectors settle differently, so only the other two answers must come first.
    assert result["answer_sentence@1"] >= 0.66
    assert result["tune"]["questions"] == 2 and result["rest"]["questions"] == 2
    assert 0.0 <= result["abstention_accuracy"] <= 1.0 and 0.0 <= result["answer_precision"] <= 1.0
    assert result["fusion"]["alpha"] == FusionSettings.alpha
    shown = result["outcomes"]
    assert shown["answerable"]["questions"] == 3 and shown["unanswerable"]["questions"] == 1
    assert (
        shown["answerable"]["shown_right"] + shown["answerable"]["shown_wrong"] + shown["answerable"]["withheld"] == 3
    )
    assert shown["answerable"]["shown_right"] + shown["answerable"]["withheld_top_right"] == round(
        3 * result["answer_sentence@1"]
    ), "right, shown or not, is answer_sentence@1"
    assert sum(row["questions"] for row in shown["reliability"]) == 4
    seen = []
    original = Index.search

    def spy(self, *args, **kwargs):
        seen.append(self.fusion.alpha)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Index, "search", spy)
    again = evaluate_squad(path, work_dir=tmp_path / "work", fusion=FusionSettings(alpha=0.3))
    assert again["index_version"] == result["index_version"] and again["passages"] == 2
    assert again["fusion"]["alpha"] == 0.3 and set(seen) == {0.3}, "the answers rank with the alpha given"
    assert json.loads(json.dumps(again)) == again
