"""A SearchRequest is checked once, when it is made, and reports the first bad parameter in the API's order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index import Filters, Limits, QueryError, SearchRequest

LIMITS = Limits(max_k=50, max_query_chars=20, default_k=7)


@pytest.mark.parametrize(
    "args, code",
    [
        ({}, "missing_query"),
        ({"q": " ", "k": "abc"}, "empty_query"),
        ({"q": "x" * 21, "mode": "magic"}, "query_too_long"),
        ({"q": "x", "k": "51", "alpha": "abc"}, "bad_k"),
        ({"q": "x", "k": "1.5"}, "bad_k"),
        ({"q": "x", "mode": "magic", "from": "yesterday"}, "bad_mode"),
        ({"q": "x", "alpha": "2", "to": "yesterday"}, "bad_alpha"),
        ({"q": "x", "alpha": "nan"}, "bad_alpha"),
        ({"q": "x", "from": "2024-01-01", "to": "yesterday"}, "bad_date"),
    ],
)
def test_the_first_bad_parameter_is_the_one_reported(args: dict[str, str], code: str):
    with pytest.raises(QueryError) as raised:
        SearchRequest.parse(args, LIMITS)
    assert raised.value.code == code


def test_text_that_is_no_number_gets_the_range_message():
    with pytest.raises(QueryError, match="^k must be a whole number from 1 to 50$"):
        SearchRequest.parse({"q": "x", "k": "abc"}, LIMITS)
    with pytest.raises(QueryError, match="^alpha must be a number from 0 to 1$"):
        SearchRequest.parse({"q": "x", "alpha": "abc"}, LIMITS)


def test_parse_fills_defaults_and_strips_the_query():
    asked = SearchRequest.parse({"q": "  ward  ", "k": "", "mode": "", "alpha": "", "tag": "", "author": "Ann"}, LIMITS)
    assert asked == SearchRequest("ward", k=7, mode="hybrid", alpha=None, filters=Filters(author="Ann"))


def test_a_changed_request_is_checked_again_against_the_same_limits():
    asked = SearchRequest.parse({"q": "ward"}, LIMITS)
    assert replace(asked, k=50).k == 50
    with pytest.raises(QueryError, match="from 1 to 50"):
        replace(asked, k=51)


def test_engine_callers_are_bounded_by_the_engine_alone():
    assert SearchRequest("x" * 10_000, k=10_000).k == 10_000
    with pytest.raises(QueryError, match="^k must be a whole number of at least 1$"):
        SearchRequest("x", k=0)
