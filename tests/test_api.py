"""The HTTP API: the JSON shape with attribution, and the error shape on bad input."""

from __future__ import annotations

import pytest


def test_search_returns_ranked_passages_with_attribution(client):
    response = client.get("/api/search", query_string={"q": "Who leads at Henley Business School?", "k": 3})
    assert response.status_code == 200
    body = response.get_json()
    assert body["query"] == "Who leads at Henley Business School?"
    assert isinstance(body["took_ms"], float)
    assert len(body["results"]) == 3
    top = body["results"][0]
    assert set(top) >= {"rank", "score", "passage_id", "text", "highlights", "post"}
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
