"""The HTTP API: the JSON shape with attribution, and the error shape on bad input."""

from __future__ import annotations

import pytest


def test_search_returns_ranked_posts_with_attribution(client):
    response = client.get("/api/search", query_string={"q": "Who leads at Henley Business School?", "k": 3})
    assert response.status_code == 200
    body = response.get_json()
    assert body["query"] == "Who leads at Henley Business School?"
    assert isinstance(body["took_ms"], float)
    assert 1 <= len(body["results"]) == body["total"] <= 3 and body["total_exact"] is True
    assert (body["page"], body["k"], body["facets"]) == (1, 3, {})
    top = body["results"][0]
    assert set(top) >= {"rank", "score", "raw_score", "passage_id", "text", "highlights", "post", "passages"}
    assert 0.25 <= top["score"] <= 1
    assert top["post"]["title"] == "In Conversation with David Pendleton"
    assert set(top["post"]) == {"id", "title", "author", "url", "published", "tags", "source"}
    assert top["post"]["url"] is None and top["post"]["published"] is None
    assert "Henley Business School" in top["text"]
    for span in top["highlights"]:
        assert 0 <= span["start"] < span["end"] <= len(top["text"])


def test_search_author_attribution(client):
    body = client.get("/api/search?q=productivity%20in%20the%20NHS&k=1").get_json()
    assert body["results"][0]["post"]["author"] == "Dr. Ryan Kemp"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "missing_query"),
        ("?q=", "empty_query"),
        ("?q=%20%20%20", "empty_query"),
        ("?q=" + "a" * 1001, "query_too_long"),
        ("?q=nhs&k=0", "bad_k"),
        ("?q=nhs&k=101", "bad_k"),
        ("?q=nhs&k=ten", "bad_k"),
        ("?q=nhs&mode=magic", "bad_mode"),
        ("?q=nhs&alpha=1.5", "bad_alpha"),
        ("?q=nhs&from=soon", "bad_date"),
        ("?q=nhs&group=words", "bad_group"),
        ("?q=nhs&sort=newest", "bad_sort"),
        ("?q=nhs&page=0", "bad_page"),
        ("?q=nhs&page=1001", "bad_page"),
        ("?q=nhs&page=two", "bad_page"),
        ("?q=nhs&facets=author,colour", "bad_facets"),
        ("?q=nhs&facets=tag,tag", "bad_facets"),
        ("?q=nhs&page=0&from=soon", "bad_page"),
    ],
)
def test_bad_input_gets_400_with_the_error_shape(client, query: str, code: str):
    response = client.get("/api/search" + query)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_unknown_api_route_is_a_json_404(client):
    response = client.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_health_and_readiness(client, seed_index):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["version"] == seed_index.version and ready["passages"] == 10


def test_posts_pages_facets_and_date_order_through_the_api(faceted_index):
    from tests.conftest import create_test_app

    client = create_test_app(faceted_index).test_client()
    query = {"q": "leaders in the health service", "facets": "author,tag,year"}
    whole = client.get("/api/search", query_string={**query, "k": 100}).get_json()
    assert whole["total"] == len(whole["results"]) > 3
    assert set(whole["facets"]) == {"author", "tag", "year"}
    first = client.get("/api/search", query_string={**query, "k": 2}).get_json()
    second = client.get("/api/search", query_string={**query, "k": 2, "page": 2}).get_json()
    assert first["total"] == second["total"] == whole["total"] and second["page"] == 2
    assert [r["passage_id"] for r in first["results"] + second["results"]] == [
        r["passage_id"] for r in whole["results"][:4]
    ]
    assert [r["rank"] for r in second["results"]] == [3, 4]
    for value in whole["facets"]["author"]:
        narrowed = client.get("/api/search", query_string={**query, "author": value["value"]}).get_json()
        assert narrowed["total"] == value["count"]
    for value in whole["facets"]["year"]:
        year = value["value"]
        dated = {"from": f"{year}-01-01", "to": f"{year}-12-31"}
        assert client.get("/api/search", query_string={**query, **dated}).get_json()["total"] == value["count"]
    newest = client.get("/api/search", query_string={**query, "k": 100, "sort": "date"}).get_json()
    published = [r["post"]["published"] for r in newest["results"]]
    assert [p for p in published if p] == sorted((p for p in published if p), reverse=True)
    passages = client.get("/api/search", query_string={**query, "k": 100, "group": "passage"}).get_json()
    assert passages["total"] > whole["total"] and all(r["passages"] == [] for r in passages["results"])
    assert any(r["passages"] for r in whole["results"]), "the long post lists its other matching passages"


def test_answer_results_are_the_search_results(faceted_index):
    from tests.conftest import create_test_app

    client = create_test_app(faceted_index).test_client()
    for query in ({"q": "Who is Professor of Leadership at Henley?"}, {"q": "NHS staff", "page": 2, "k": 1}):
        searched = client.get("/api/search", query_string={**query, "facets": "tag"}).get_json()
        answered = client.get("/api/answer", query_string={**query, "facets": "tag"}).get_json()
        for field in ("total", "total_exact", "page", "k", "facets", "results"):
            assert answered[field] == searched[field], field
