"""The from/to date filters: only the README's forms are accepted, and both sides are compared as dates."""

from __future__ import annotations

import json

import pytest

from index import Filters, Index, Post, QueryError, build, read_sources
from tests.conftest import create_test_app

POSTS = [
    {"id": "june", "title": "June rota", "text": "The harbour rota for June.", "published": "2024-06-15"},
    {
        "id": "june-end",
        "title": "Late June",
        "text": "The harbour rota, late.",
        "published": "2024-06-30T23:30:00-05:00",
    },
    {"id": "july", "title": "July rota", "text": "The harbour rota for July.", "published": "2024-07-02T08:00:00Z"},
    {"id": "undated", "title": "Undated", "text": "The harbour rota, undated."},
]


def post(published: str | None) -> Post:
    return Post(id="p", title=None, text="x", published=published)


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01",
        "2024-01-01T10:00",
        "2024-01-01T10:00:00",
        "2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00.5Z",
        "2024-01-01T10:00:00+05:30",
        "2024-01-01T10:00:00.123456-08:00",
    ],
)
def test_the_readme_forms_are_accepted(value: str):
    assert Filters(published_from=value, published_to=value).accepts(post("2024-01-01"))


@pytest.mark.parametrize(
    "value",
    [
        "20240101",
        "2024-W01",
        "2024-W01-1",
        "2024-001",
        "2024-1-1",
        "2024-01",
        "2024-01-01T10",
        "2024-01-01 10:00",
        "2024-01-01T10:00:00+0100",
        "2024-01-01T10:00:00.1234567",
        "2024-02-30",
        "2024-01-01T25:00",
        "yesterday",
        "",
    ],
)
def test_other_forms_are_bad_date_saying_which_forms_are(value: str):
    for name in ("published_from", "published_to"):
        with pytest.raises(QueryError) as caught:
            Filters(**{name: value})
        assert caught.value.code == "bad_date"
        assert "YYYY-MM-DD" in caught.value.message and "ISO 8601" in caught.value.message


def test_dates_compare_as_dates_and_a_post_keeps_its_own_calendar_day():
    july = post("2024-07-02T08:00:00+00:00")
    assert not Filters(published_to="2024-06-30").accepts(july)
    assert not Filters(published_to="2024-06-30T23:59:59Z").accepts(july)
    assert Filters(published_from="2024-07-02T23:00:00+02:00").accepts(july)
    assert Filters(published_from="2024-06-01", published_to="2024-07-02").accepts(july)
    # 23:30 on June 30th at -05:00 is July 1st in UTC; the post's own date is what its readers saw.
    assert Filters(published_to="2024-06-30").accepts(post("2024-06-30T23:30:00-05:00"))
    assert not Filters(published_from="2024-01-01").accepts(post(None))
    assert not Filters(published_from="2024-01-01").accepts(post("20240301"))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, encoder):
    folder = tmp_path_factory.mktemp("dated")
    corpus = folder / "dated.jsonl"
    corpus.write_text("".join(json.dumps(p) + "\n" for p in POSTS), encoding="utf-8")
    build(read_sources([corpus]).posts, folder / "index", encoder=encoder)
    return create_test_app(Index.open(folder / "index", encoder=encoder), RATE_LIMIT_PER_MINUTE=0).test_client()


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", ["july", "june", "june-end", "undated"]),
        ("&from=2024-07-01", ["july"]),
        ("&to=2024-06-30", ["june", "june-end"]),
        ("&to=2024-06-30T12:00:00Z", ["june", "june-end"]),
        ("&from=2024-06-16&to=2024-07-01T09:15", ["june-end"]),
        ("&from=2024-07-02T08:00:00.000001%2B02:00", ["july"]),
    ],
)
def test_api_filters_by_date(client, query: str, ids: list[str]):
    response = client.get(f"/api/search?q=harbour+rota&mode=bm25{query}")
    assert response.status_code == 200, response.get_json()
    assert sorted(hit["post"]["id"] for hit in response.get_json()["results"]) == ids


@pytest.mark.parametrize("query", ["from=20240101", "to=20240630", "from=2024-W01", "to=2024-001"])
def test_api_refuses_compact_week_and_ordinal_dates(client, query: str):
    response = client.get(f"/api/search?q=harbour+rota&{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_date" and "YYYY-MM-DD" in error["message"]
    assert client.get(f"/?q=harbour+rota&{query}").status_code == 400
