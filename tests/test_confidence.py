"""The answer confidence: its evidence, the asked-for type, the fit and the leave-one-corpus-out check."""

from __future__ import annotations

import random

import numpy as np
import pytest

from index import SearchRequest, answer_question
from index.answer import AnswerSettings
from index.confidence import FEATURES, ConfidenceModel, asked_type, evidence, holds_type
from index.evaluation.confidence_fit import Example, best_threshold, confidences, fit, leave_one_out, table
from index.lexical import analyse


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many gophers came to the first GopherCon?", "number"),
        ("When was the code of conduct adopted?", "date"),
        ("In which year did Go 1 ship?", "date"),
        ("Which book did Yang Chen review?", None),
        ("What year did Go 1 ship?", "date"),
        ("Who drew the gopher?", "name"),
        ("Where was GopherCon 2014 held?", "name"),
        ("Why are maps not safe for concurrent use?", None),
    ],
)
def test_the_asked_type_comes_from_the_wording(question: str, kind: str | None):
    assert asked_type(question) == kind


def test_a_sentence_holds_the_type_only_with_something_the_question_does_not_say():
    assert holds_type("Renee French drew it for a fundraiser.", "name", "Who drew the gopher?")
    # "Go" is in the question (as "Go's"): no answer to "who".
    assert not holds_type("The Go gopher is an iconic mascot.", "name", "Who drew Go's mascot?")
    assert holds_type("Nearly 400 gophers attended.", "number", "How many gophers attended?")
    assert not holds_type("Many gophers attended.", "number", "How many gophers attended?")
    assert holds_type("It was written in February 2008.", "date", "When was it written?")
    # A year the question names is no answer to "when".
    assert not holds_type("GopherCon 2014 was in Denver.", "date", "When was GopherCon 2014?")


def test_evidence_reads_the_context_and_the_corpus_vocabulary():
    renee, gopher, drew = analyse(["renee gopher drew"])[0]
    weights = {renee: 5.0, gopher: 2.0, drew: 1.0, "zzyzx": 9.0}
    found = evidence(
        "Who drew the gopher zzyzx?",
        weights,
        {renee, gopher, drew},
        "She drew it.",
        ["The Gopher", "Renee French", "", ""],
        [0.6, 0.4, 0.2],
        [1.0, 0.7, 0.5],
        bm25=3.0,
        bm25_ceiling=6.0,
    ).as_dict()
    total = sum(weights.values())
    assert found["share"] == pytest.approx(1.0 / total)
    assert found["context_share"] == pytest.approx(8.0 / total)
    assert found["known_share"] == pytest.approx(8.0 / total)
    # The rarest term the corpus knows (renee), not the unknown zzyzx, and it is in the author line.
    assert found["rarest_in_context"] == 1.0
    assert found["type_missing"] == 1.0  # nothing capitalised after the first word
    assert found["margin"] == pytest.approx(0.3) and found["cosine_margin"] == pytest.approx(0.3)
    assert found["bm25_ceiling_share"] == pytest.approx(0.5)


def test_the_fit_recovers_a_known_model_and_weighs_groups_equally():
    rng = random.Random(3)
    truth = ConfidenceModel(-1.0, tuple(2.0 if n == 0 else 0.0 for n in range(len(FEATURES))))
    examples = []
    for group, size in (("big", 3000), ("small", 300)):
        for _ in range(size):
            values = tuple(rng.uniform(-2, 2) for _ in FEATURES)
            right = rng.random() < 1 / (1 + np.exp(-(truth.bias + 2.0 * values[0])))
            examples.append(Example(group, True, right, values))
    model = fit(examples, l2=0.0)
    assert model.weights[0] == pytest.approx(2.0, abs=0.25) and model.bias == pytest.approx(-1.0, abs=0.25)
    assert all(abs(w) < 0.3 for w in model.weights[1:])
    report = leave_one_out(examples)
    assert set(report) == {"big", "small"} and report["small"]["questions"] == 300
    p = confidences(model, examples)
    row = table(examples, p, best_threshold())
    assert row["shown_right"] + row["shown_wrong"] + row["withheld"] == pytest.approx(1.0, abs=0.002)
    assert best_threshold(1.0) == 0.5 and best_threshold(3.0) == 0.75


def test_the_service_scores_the_best_candidates_with_the_fitted_model(seed_index):
    settings = AnswerSettings()
    result = answer_question(seed_index, SearchRequest("Who is Professor of Leadership at Henley Business School?"))
    best = result.candidates[0]
    assert best.evidence is not None and len(best.evidence.values) == len(FEATURES)
    assert best.confidence == pytest.approx(settings.confidence.confidence(best.evidence))
    assert (result.answer is not None) == (best.confidence >= settings.threshold)
    assert all(c.evidence is None and c.confidence == 0.0 for c in result.candidates[settings.scored :])
    # One candidate per sentence, even where overlapping passages hold it twice.
    keys = [(c.post.id, c.text) for c in result.candidates]
    assert len(keys) == len(set(keys))
