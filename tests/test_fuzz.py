"""Schemathesis fuzzes every operation in /openapi.json in-process: no 500s, every response as documented."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import create_test_app

# Enough to reach each parameter's edges while the suite stays quick.
EXAMPLES_PER_OPERATION = 30
OPERATIONS = [
    ("/api/search", "GET"),
    ("/api/answer", "GET"),
    ("/", "GET"),
    ("/embed", "GET"),
    ("/healthz", "GET"),
    ("/readyz", "GET"),
    ("/metrics", "GET"),
    ("/openapi.json", "GET"),
    ("/admin/reload", "POST"),
    ("/admin/posts/{post_id}", "PUT"),
    ("/admin/posts/{post_id}", "DELETE"),
    ("/admin/posts/{post_id}", "GET"),
    ("/admin/analytics", "GET"),
    ("/admin/analytics.csv", "GET"),
    ("/admin/", "GET"),
    ("/admin/login", "POST"),
    ("/admin/logout", "POST"),
    ("/r/{query_id}/{post_id}", "GET"),
]


@pytest.fixture(scope="module")
def api_schema(seed_index):
    # The rate limit is tested on its own; here it would only turn later examples into 429s.
    app = create_test_app(seed_index, RATE_LIMIT_PER_MINUTE=0, RELOAD_INTERVAL=0)
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def test_the_fuzzed_operations_are_all_the_documented_ones(api_schema):
    paths = api_schema.raw_schema["paths"].items()
    documented = {(path, method.upper()) for path, item in paths for method in item if method != "parameters"}
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_keeps_its_contract(api_schema, path: str, method: str):
    operation = api_schema[path][method]
    calls = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def keeps_contract(case) -> None:
        calls.append(case.call_and_validate())

    keeps_contract()
    print(f"{method} {path}: {len(calls)} cases, statuses {sorted({r.status_code for r in calls})}")


def test_a_rate_limited_answer_matches_the_schema(seed_index):
    app = create_test_app(seed_index, RATE_LIMIT_PER_MINUTE=1, RATE_LIMIT_BURST=1)
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app)["/api/search"]["GET"]
    client = app.test_client()
    client.get("/api/search?q=leadership")
    response = client.get("/api/search?q=leadership")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    operation.validate_response(response)
