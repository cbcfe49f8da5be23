"""Request ids, one structured log line per request, and Prometheus metrics at /metrics."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from importlib import metadata
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, g, request

if TYPE_CHECKING:
    from prometheus_client.core import Metric

# prometheus_client is imported inside functions on purpose: it chooses single- or multi-process storage when it
# is first imported, and `python -m service` sets PROMETHEUS_MULTIPROC_DIR only just before gunicorn forks workers.

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_LATENCY_BUCKETS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

access_log = logging.getLogger("blog_search.access")
metrics = Blueprint("metrics", __name__)


class IndexCollector:
    """Reports the index this process serves, read at scrape time so a reload shows at once."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

        index = self.app.extensions["served_index"].available()
        if index is None:  # this process has no index yet: nothing to report about one
            return
        manifest = index.manifest
        info = InfoMetricFamily("blog_search_index", "The index version being served")
        info.add_metric([], {"version": manifest.version, "model": manifest.model_id, "built_at": manifest.built_at})
        yield info
        yield GaugeMetricFamily("blog_search_index_passages", "Passages in the served index", manifest.passages)
        yield GaugeMetricFamily("blog_search_index_posts", "Posts in the served index", manifest.posts)
        build = InfoMetricFamily("blog_search_build", "The service's own version")
        build.add_metric([], {"version": metadata.version("blog-search"), "python": sys.version.split()[0]})
        yield build


class RequestMetrics:
    """Request counters and latency histograms, one set per app (multi-process aware under gunicorn)."""

    def __init__(self, app: Flask) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "blog_search_requests",
            "HTTP requests by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "blog_search_request_seconds",
            "Request latency by endpoint",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.analytics_written = Counter(
            "blog_search_analytics_rows_written", "Query-log rows written to SQLite", registry=self.registry
        )
        self.analytics_dropped = Counter(
            "blog_search_analytics_rows_dropped",
            "Query-log rows dropped: the buffer was full or the file could not be written",
            registry=self.registry,
        )
        self.index = IndexCollector(app)

    def exposition(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Several gunicorn workers: add up what every worker recorded, not just the one scraped.
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        scrape = CollectorRegistry()
        scrape.register(self.index)
        return generate_latest(registry) + generate_latest(scrape)


def install_observability(app: Flask) -> None:
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    app.extensions["request_metrics"] = RequestMetrics(app)
    app.before_request(_start)
    app.after_request(_finish)
    app.register_blueprint(metrics)


def _start() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
    recorder: RequestMetrics = current_app.extensions["request_metrics"]
    recorder.requests.labels(endpoint, str(response.status_code)).inc()
    recorder.latency.labels(endpoint).observe(seconds)
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    access_log.info(
        json.dumps(
            {
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "status": response.status_code,
                "ms": round(seconds * 1000, 3),
                "query_chars": len(request.args.get("q", "")),
                "remote": request.remote_addr,
            }
        )
    )
    return response


@metrics.get("/metrics")
def prometheus_metrics() -> Response:
    recorder: RequestMetrics = current_app.extensions["request_metrics"]
    return Response(recorder.exposition(), mimetype="text/plain; version=0.0.4; charset=utf-8")
