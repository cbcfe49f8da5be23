"""Highlights: the query's words and the passage's best sentence, as offsets inside the result text."""

from __future__ import annotations

from index.highlight import QueryTerms, best_sentence, highlight, term_spans
from index.lexical import analyse_word, query_terms
from index.sentences import sentence_spans

TEXT = "Leaders need rest. The NHS workforce is tired, and productivity falls. Nature helps."


def test_term_spans_match_stems_not_stop_words():
    spans = term_spans(TEXT, "the tired leader")
    assert [TEXT[s:e] for s, e in spans] == ["Leaders", "tired"]


def test_question_words_are_never_highlighted():
    text = "How do doctors keep going? From what I hear, they do it by burning out."
    spans = term_spans(text, "how do I keep doctors from burning out")
    assert [text[s:e] for s, e in spans] == ["doctors", "keep", "burning", "out"]


def test_search_highlights_only_terms_the_ranking_used(client):
    query = "how to keep doctors from burning out"
    body = client.get("/api/search", query_string={"q": query, "k": 10, "group": "passage"}).get_json()
    ranked_by = set(query_terms(query))
    for result in body["results"]:
        for span in result["highlights"]:
            if span["kind"] == "term":
                assert analyse_word(result["text"][span["start"] : span["end"]]) in ranked_by


def test_best_sentence_holds_the_rarest_query_terms():
    weights = {"nhs": 1.0, "product": 2.0, "leader": 0.5}
    start, end = best_sentence(TEXT, weights)
    assert TEXT[start:end] == "The NHS workforce is tired, and productivity falls."
    assert (start, end) in sentence_spans(TEXT)


def test_no_sentence_when_no_term_matches():
    assert best_sentence(TEXT, {"mercury": 3.0}) is None
    assert best_sentence(TEXT, {}) is None


def test_search_results_carry_a_sentence_and_terms_within_bounds(client):
    body = client.get("/api/search", query_string={"q": "Henley Business School professor", "k": 5}).get_json()
    for result in body["results"]:
        kinds = [h["kind"] for h in result["highlights"]]
        assert kinds.count("sentence") <= 1 and set(kinds) <= {"sentence", "term"}
        for span in result["highlights"]:
            assert 0 <= span["start"] < span["end"] <= len(result["text"])
    top = body["results"][0]
    sentence = top["highlights"][0]
    assert sentence["kind"] == "sentence"
    assert "Henley Business School" in top["text"][sentence["start"] : sentence["end"]]
    words = [top["text"][h["start"] : h["end"]] for h in top["highlights"] if h["kind"] == "term"]
    assert {"Henley", "Business", "School"} <= set(words)


def test_irregular_stems_and_case_still_match():
    text = "DYING cells. Studies of a study; the dying man. Happiness is relative."
    spans = term_spans(text, "die studies happy")
    assert [text[s:e] for s, e in spans] == ["DYING", "Studies", "study", "dying", "Happiness"]


def test_one_pass_agrees_with_stored_sentence_offsets():
    weights = {"nhs": 1.0, "product": 2.0, "leader": 0.5}
    stored = sentence_spans(TEXT)
    assert highlight(TEXT, QueryTerms.of(weights), stored) == highlight(TEXT, QueryTerms.of(weights))
    assert highlight(TEXT, QueryTerms.of({}), stored) == ([], None)


def test_offsets_hold_when_lower_casing_changes_the_length():
    text = "İstanbul clinic: Dying patients."  # "İ".lower() is two characters
    spans = term_spans(text, "dying patients")
    assert [text[s:e] for s, e in spans] == ["Dying", "patients"]


def test_no_stored_sentence_still_marks_the_words():
    spans, sentence = highlight(TEXT, QueryTerms.of({"nhs": 1.0}), [])
    assert [TEXT[s:e] for s, e in spans] == ["NHS"] and sentence is None
