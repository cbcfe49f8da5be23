"""The per-client rate limit: a burst is allowed, then 429 with Retry-After, and buckets refill."""

from __future__ import annotations

import pytest

from service.config import SettingError
from service.ratelimit import ADMIN_FAILURES_BURST, TokenBuckets
from tests.conftest import create_test_app

TOKEN = "s3cret-token"


def test_bucket_refills_over_time():
    buckets = TokenBuckets(per_minute=60, burst=2)
    assert buckets.take("a", now=0.0) == 0 and buckets.take("a", now=0.0) == 0
    assert buckets.take("a", now=0.0) > 0
    assert buckets.take("b", now=0.0) == 0, "clients have their own buckets"
    assert buckets.take("a", now=1.5) == 0, "one token a second comes back"


def test_api_answers_429_with_retry_after(seed_index):
    client = create_test_app(seed_index, RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=2).test_client()
    assert [client.get("/api/search?q=nhs").status_code for _ in range(2)] == [200, 200]
    limited = client.get("/api/search?q=nhs")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert client.get("/healthz").status_code == 200, "only the API is limited"


def test_forwarded_for_counts_only_behind_a_trusted_proxy(seed_index):
    client = create_test_app(seed_index, RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=1).test_client()
    assert client.get("/api/search?q=nhs", headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 200
    assert client.get("/api/search?q=nhs", headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 429
    trusting = create_test_app(seed_index, RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=1, TRUST_PROXY=True)
    trusted = trusting.test_client()
    assert trusted.get("/api/search?q=nhs", headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 200
    assert trusted.get("/api/search?q=nhs", headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 200


@pytest.mark.parametrize("proxies", [1, 2])
def test_forged_forwarded_for_entries_do_not_dodge_the_limit(seed_index, proxies: int):
    """Each trusted proxy appends the address it was reached from; what the client wrote further left is forged."""
    app = create_test_app(seed_index, RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=2, TRUST_PROXY=True)
    app.config["TRUSTED_PROXIES"] = proxies
    client = app.test_client()
    appended = ["203.0.113.9", "10.0.0.1"][:proxies]
    statuses = [
        client.get("/api/search?q=nhs", headers={"X-Forwarded-For": ", ".join([f"198.51.100.{n}", *appended])})
        for n in range(6)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429, 429, 429, 429]
    other = {"X-Forwarded-For": ", ".join(["203.0.113.77", *appended[1:]])}
    assert client.get("/api/search?q=nhs", headers=other).status_code == 200, "a real other client has its own budget"
    if proxies == 2:  # fewer entries than proxies: not set by the proxies, so the connection's address counts
        lone = [client.get("/api/search?q=nhs", headers={"X-Forwarded-For": f"192.0.2.{n}"}) for n in range(3)]
        assert [r.status_code for r in lone] == [200, 200, 429]


def test_the_pages_spend_the_same_budget_as_the_api(seed_index):
    client = create_test_app(seed_index, RATE_LIMIT_PER_MINUTE=6, RATE_LIMIT_BURST=3).test_client()
    assert client.get("/?q=leadership").status_code == 200
    assert client.get("/embed?q=leadership").status_code == 200
    assert client.get("/api/answer?q=leadership").status_code == 200
    for path in ("/?q=leadership", "/embed?q=leadership", "/api/search?q=nhs"):
        limited = client.get(path)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1, path
    page = client.get("/?q=leadership")
    assert "Too many searches" in page.get_data(as_text=True) and page.mimetype == "text/html"
    assert client.get("/").status_code == 200, "the empty page searches nothing and costs nothing"


def test_a_burst_of_zero_is_refused_at_start(seed_index):
    with pytest.raises(SettingError, match="BLOG_SEARCH_RATE_LIMIT_BURST"):
        create_test_app(seed_index, RATE_LIMIT_BURST=0)
    create_test_app(seed_index, RATE_LIMIT_BURST=0, RATE_LIMIT_PER_MINUTE=0)  # no limit: the burst is not used


def test_admin_token_guesses_are_limited_per_client(seed_index):
    client = create_test_app(seed_index, ADMIN_TOKEN=TOKEN).test_client()
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/admin/reload", headers=right).status_code == 200
    statuses = [
        client.post("/admin/reload", headers={"Authorization": f"Bearer guess-{n}"}).status_code for n in range(8)
    ]
    assert statuses == [401] * ADMIN_FAILURES_BURST + [429] * (8 - ADMIN_FAILURES_BURST)
    limited = client.post("/admin/reload", headers=right)
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    elsewhere = client.post("/admin/reload", headers=right, environ_base={"REMOTE_ADDR": "192.0.2.5"})
    assert elsewhere.status_code == 200, "another client is not locked out"


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
        (f"BEARER  {TOKEN}", 200),
        (TOKEN, 401),
        (f"Basic {TOKEN}", 401),
        (f"Token {TOKEN}", 401),
        (f"Bearer{TOKEN}", 401),
    ],
)
def test_admin_takes_the_bearer_scheme_in_any_case_and_no_other(seed_index, header: str, status: int):
    client = create_test_app(seed_index, ADMIN_TOKEN=TOKEN).test_client()
    assert client.post("/admin/reload", headers={"Authorization": header}).status_code == status


def test_head_never_runs_a_search(seed_index, monkeypatch):
    searched = []
    monkeypatch.setattr(seed_index, "search", lambda *a, **k: searched.append(a) or [])
    client = create_test_app(seed_index).test_client()
    for path in ("/api/search?q=nhs", "/api/answer?q=nhs"):
        refused = client.head(path)
        assert refused.status_code == 405 and refused.headers["Allow"] == "GET"
    assert client.head("/?q=nhs").status_code == 200
    assert client.head("/embed?q=nhs").status_code == 200
    assert searched == []
