"""The per-client rate limit: a burst is allowed, then 429 with Retry-After, and buckets refill."""

from __future__ import annotations

from service.ratelimit import TokenBuckets
from tests.conftest import create_test_app


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
