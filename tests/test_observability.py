"""Request ids, the structured access log, and Prometheus metrics."""

from __future__ import annotations

import json
import logging

import pytest

from service.observability import access_log


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture()
def log_lines():
    handler = Lines()
    access_log.addHandler(handler)
    yield handler.lines
    access_log.removeHandler(handler)


def test_every_response_has_a_request_id_and_one_log_line(client, log_lines):
    response = client.get("/api/search?q=nature")
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) == 32
    [line] = log_lines
    record = json.loads(line)
    assert record["request_id"] == request_id
    assert (record["path"], record["status"], record["endpoint"]) == ("/api/search", 200, "/api/search")
    assert record["query_chars"] == len("nature") and record["ms"] >= 0


def test_a_sane_incoming_request_id_is_kept_and_a_hostile_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-Id": "evil id <script>"}).headers["X-Request-Id"]
    assert replaced != "evil id <script>" and replaced.isalnum()


def test_metrics_count_requests_and_describe_the_index(client, seed_index):
    client.get("/api/search?q=nature")
    client.get("/api/search?q=")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'blog_search_requests_total{endpoint="/api/search",status="200"} 1.0' in text
    assert 'blog_search_requests_total{endpoint="/api/search",status="400"} 1.0' in text
    assert 'blog_search_request_seconds_bucket{endpoint="/api/search",le="0.005"}' in text
    assert f'version="{seed_index.version}"' in text
    assert "blog_search_index_passages 10.0" in text
    assert "blog_search_build_info{" in text
