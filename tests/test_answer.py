"""Question answering: the answer sentence with its offsets and attribution, abstention, and the endpoint's shape."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index import Index, SearchRequest, answer_question
from index.answer import AnswerSettings
from index.sentence_vectors import SentenceTable
from index.store import SENTENCES_FILE

HENLEY = "Who is Professor of Leadership at Henley Business School?"
ABSENT = "What is the boiling point of mercury in kelvin?"


def test_answer_is_a_sentence_of_a_returned_passage_with_offsets(client):
    response = client.get("/api/answer", query_string={"q": HENLEY})
    assert response.status_code == 200
    body = response.get_json()
    assert body["question"] == HENLEY and isinstance(body["took_ms"], float)
    answer = body["answer"]
    assert set(answer) == {"text", "start", "end", "confidence", "passage_id", "context", "post"}
    assert body["candidate"] == answer  # shown: the best candidate is the answer
    assert "Henley Business School" in answer["text"]
    assert 0.0 <= answer["confidence"] <= 1.0
    assert answer["post"]["title"] == "In Conversation with David Pendleton"
    passage = next(r for r in body["results"] if r["passage_id"] == answer["passage_id"])
    assert passage["text"][answer["start"] : answer["end"]] == answer["text"]
    assert passage["post"] == answer["post"]
    # The sentence in its place: the passage's sentences around it.
    before, after = answer["context"]["before"], answer["context"]["after"]
    assert before or after
    if before:
        assert passage["text"].rfind(before, 0, answer["start"]) >= 0
    if after:
        assert passage["text"].find(after, answer["end"]) >= 0


@pytest.mark.parametrize("group", ["post", "passage"])
def test_results_are_the_search_results(client, group: str):
    answered = client.get("/api/answer", query_string={"q": HENLEY, "k": 3, "group": group}).get_json()
    searched = client.get("/api/search", query_string={"q": HENLEY, "k": 3, "group": group}).get_json()
    assert answered["results"] == searched["results"] and 1 <= len(answered["results"]) <= 3
    assert answered["total"] == searched["total"]


def test_a_withheld_answer_still_lists_the_results(client):
    body = client.get("/api/answer", query_string={"q": "What makes a good leader in the NHS?"}).get_json()
    assert body["answer"] is None and body["candidate"] is not None
    assert body["results"] and body["total"] == len(body["results"])


def test_a_question_about_nothing_the_posts_hold_matches_no_post(client):
    body = client.get("/api/answer", query_string={"q": ABSENT}).get_json()
    assert body["answer"] is None
    assert body["results"] == [] and body["total"] == 0


def test_candidates_are_ranked_with_confidences_in_range(seed_index):
    result = answer_question(seed_index, SearchRequest("Which book about twin brothers is reviewed?", k=2))
    assert len(result.hits) == 2 and result.candidates
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= c.confidence <= 1.0 for c in result.candidates)
    best = result.candidates[0]
    assert "twins" in best.text and best.post.author == "Yang Chen"
    assert result.answer is (best if best.confidence >= AnswerSettings().threshold else None)


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "missing_query"), ("?q=%20", "empty_query"), ("?q=" + "a" * 1001, "query_too_long"), ("?q=nhs&k=0", "bad_k")],
)
def test_bad_input_gets_400_with_the_error_shape(client, query: str, code: str):
    response = client.get("/api/answer" + query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


def test_a_version_without_stored_sentence_vectors_still_answers(tmp_path, seed_index, encoder):
    folder = tmp_path / "old-version"
    shutil.copytree(seed_index.folder, folder)
    (folder / SENTENCES_FILE).unlink()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"][SENTENCES_FILE]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    old = Index.open(folder, encoder=encoder)
    stored = answer_question(seed_index, SearchRequest(HENLEY)).answer
    embedded_now = answer_question(old, SearchRequest(HENLEY)).answer
    assert embedded_now is not None and stored is not None
    assert embedded_now.passage.id == stored.passage.id
    assert (embedded_now.start, embedded_now.end) == (stored.start, stored.end)
    assert embedded_now.confidence == pytest.approx(stored.confidence, abs=1e-3)


def test_stored_sentence_vectors_are_memory_mapped_not_copied(seed_index):
    table = seed_index.sentences
    assert not table.vectors.flags.owndata and table.vectors.base is not None, "a view of the mapped file"
    assert not table.vectors.flags.writeable, "mapped read-only: every worker shares the page cache's one copy"
    assert table.vectors.dtype == np.int8, "stored as int8 codes with a scale per sentence: a quarter of float32"
    widened = table.vectors_of([0, 2, 1])
    assert widened.dtype == np.float32 and widened.flags.c_contiguous
    with np.load(seed_index.folder / SENTENCES_FILE) as data:
        expected = data["vectors"][[0, 2, 1]].astype(np.float32) * data["scales"][[0, 2, 1], None]
    np.testing.assert_array_equal(widened, expected)
    np.testing.assert_allclose(np.linalg.norm(widened, axis=1), 1.0, atol=2e-3)
    assert table.vectors_of([]).shape == (0, table.vectors.shape[1])
    with np.load(seed_index.folder / SENTENCES_FILE) as data:
        np.testing.assert_array_equal(np.asarray(table.vectors), data["vectors"])
        np.testing.assert_array_equal(table.first, data["first"])


def test_sentence_vectors_survive_int8_storage(tmp_path):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((6, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[4] = 0.0  # a row of zeros must not divide by zero
    ints = [np.arange(6), np.zeros(6, dtype=np.int64), np.ones(6, dtype=np.int64), np.arange(7)]
    SentenceTable(*ints, vectors).save(tmp_path / SENTENCES_FILE)
    loaded = SentenceTable.load(tmp_path / SENTENCES_FILE)
    assert loaded.vectors.dtype == np.int8 and loaded.scales is not None
    widened = loaded.vectors_of(range(6))
    assert not widened[4].any()
    keep = [0, 1, 2, 3, 5]
    cosines = (widened[keep] * vectors[keep]).sum(1) / np.linalg.norm(widened[keep], axis=1)
    assert cosines.min() > 0.9999
    loaded.save(tmp_path / "again.npz")  # a loaded table saves its widened vectors, not its codes as floats
    np.testing.assert_allclose(SentenceTable.load(tmp_path / "again.npz").vectors_of(range(6)), widened, atol=1e-6)


def test_the_question_is_embedded_once_per_answer(seed_index, monkeypatch):
    calls = []
    encode = seed_index.encoder.encode

    def counting(texts, *args, **kwargs):
        calls.append(list(texts))
        return encode(texts, *args, **kwargs)

    monkeypatch.setattr(seed_index.encoder, "encode", counting)
    assert answer_question(seed_index, SearchRequest(HENLEY)).answer is not None
    assert calls == [[HENLEY]], "the search and the sentence scoring share one embedding"


def test_a_withheld_answer_leaves_its_candidate_for_programs_and_the_page_says_best_matches(client):
    body = client.get("/api/answer", query_string={"q": "What makes a good leader in the NHS?"}).get_json()
    assert body["answer"] is None
    assert body["candidate"] is not None and body["candidate"]["confidence"] < AnswerSettings().threshold
    assert body["candidate"]["passage_id"] in {r["passage_id"] for r in body["results"]}
    html = client.get("/", query_string={"q": "What makes a good leader in the NHS?"}).get_data(as_text=True)
    assert '<section class="answer"' not in html and '<h2 class="matches">Best matches</h2>' in html
    shown = client.get("/", query_string={"q": HENLEY}).get_data(as_text=True)
    assert '<section class="answer"' in shown and "Best matches" not in shown
    assert '<p class="answer-context">' in shown
