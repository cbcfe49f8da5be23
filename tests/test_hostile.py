"""Hostile input to the API and the page: every request gets a 2xx or a 4xx with the error shape, never a 500."""

from __future__ import annotations

import pytest

HOSTILE_QUERIES = {
    "nul": "q=leader%00ship",
    "only-nul": "q=%00",
    "invalid-utf8": "q=%ff%fe%c3%28",
    "overlong-utf8": "q=%c0%af%e0%80%af",
    "lone-surrogate": "q=%ed%a0%80",
    "100k-chars": "q=" + "a" * 100_000,
    "100k-words": "q=" + "leadership+" * 9_000,
    "rtl-marks": "q=%E2%80%8Fleadership%E2%80%AE%D8%A7%D9%84%D9%82%D9%8A%D8%A7%D8%AF%D8%A9",
    "combining": "q=" + "e%CC%81" * 300,
    "emoji": "q=%F0%9F%91%A9%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7+leaders+%F0%9F%94%A5",
    "zero-width": "q=%E2%80%8B%E2%80%8C%E2%80%8D%EF%BB%BF",
    "unicode-spaces": "q=%E3%80%80%C2%A0%E2%80%A8",
    "sql": "q=%27%3B+DROP+TABLE+posts%3B+--",
    "shell": "q=%24%28rm+-rf+%2F%29+%60id%60+%7C+cat+%2Fetc%2Fpasswd",
    "template": "q=%7B%7B7*7%7D%7D+%24%7B7*7%7D+%7B%25+debug+%25%7D",
    "markup": "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "path": "q=..%2F..%2Fetc%2Fpasswd",
    "format-string": "q=%25s%25n%25x%7B0%7D",
    "repeated": "q=leadership&q=&q=%00&k=3&k=-1&mode=bm25&mode=nope",
    "no-q": "k=5",
    "empty-q": "q=",
    "huge-k": "q=leadership&k=" + "9" * 5_000,
    "negative-k": "q=leadership&k=-5",
    "zero-k": "q=leadership&k=0",
    "float-k": "q=leadership&k=1e3",
    "hex-k": "q=leadership&k=0x10",
    "unicode-digit-k": "q=leadership&k=%D9%A5",
    "nan-alpha": "q=leadership&alpha=NaN",
    "inf-alpha": "q=leadership&alpha=inf",
    "minus-inf-alpha": "q=leadership&alpha=-Infinity",
    "huge-alpha": "q=leadership&alpha=1e400",
    "bad-mode": "q=leadership&mode=%00",
    "bad-date": "q=leadership&from=2024-02-30&to=%00",
    "huge-date": "q=leadership&from=" + "9" * 1_000,
    "filters-hostile": "q=leadership&author=%00%ff&tag=%27%3B--",
    "unknown-params": "q=leadership&__proto__=1&constructor=x",
}


@pytest.fixture(scope="module")
def hostile_client(seed_index):
    from tests.conftest import create_test_app

    return create_test_app(seed_index, RATE_LIMIT_PER_MINUTE=0).test_client()


@pytest.mark.parametrize("path", ["/api/search", "/api/answer"])
@pytest.mark.parametrize("query", HOSTILE_QUERIES.values(), ids=HOSTILE_QUERIES.keys())
def test_the_api_answers_hostile_input_with_2xx_or_a_json_4xx(hostile_client, path: str, query: str):
    response = hostile_client.get(f"{path}?{query}")
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    body = response.get_json()
    if response.status_code >= 400:
        assert response.status_code == 400
        assert set(body["error"]) == {"code", "message"} and body["error"]["code"] and body["error"]["message"]
    else:
        assert isinstance(body["results"], list)


@pytest.mark.parametrize("query", HOSTILE_QUERIES.values(), ids=HOSTILE_QUERIES.keys())
def test_the_page_answers_hostile_input_with_2xx_or_4xx(hostile_client, query: str):
    response = hostile_client.get(f"/?{query}")
    assert response.status_code in {200, 400}
    assert response.mimetype == "text/html"
    assert "<script>alert(1)" not in response.get_data(as_text=True)


def test_hostile_methods_and_bodies_get_the_error_shape(hostile_client):
    responses = [
        hostile_client.open("/api/search?q=x", method="TRACE"),
        hostile_client.open("/api/search?q=x", method="PROPFIND"),
        hostile_client.post("/api/answer", json={"q": "leadership"}),
        hostile_client.get("/api/search?q=x", data=b"\x00" * 1_000_000),
        hostile_client.get("/api/%00"),
        hostile_client.get("/api/" + "a" * 10_000),
    ]
    assert [r.status_code for r in responses] == [405, 405, 405, 413, 404, 404]
    for response in responses:
        assert set(response.get_json()["error"]) == {"code", "message"}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("100k-chars", "query_too_long"),
        ("unicode-spaces", "empty_query"),
        ("only-nul", "empty_query"),
        ("zero-width", "empty_query"),
        ("huge-k", "bad_k"),
        ("negative-k", "bad_k"),
        ("float-k", "bad_k"),
        ("nan-alpha", "bad_alpha"),
        ("inf-alpha", "bad_alpha"),
        ("huge-date", "bad_date"),
    ],
)
def test_out_of_bounds_input_gets_its_own_code(hostile_client, name: str, code: str):
    response = hostile_client.get(f"/api/search?{HOSTILE_QUERIES[name]}")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == code
