"""The soak test's client against the real production server: it counts requests and failures truthfully."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from index import build
from index.bench.load import soak
from index.bench.server import production_server


def test_soak_counts_requests_and_sees_a_publish_through(tmp_path: Path, index_root: Path, encoder, seed_posts):
    root = tmp_path / "index"
    shutil.copytree(index_root, root, symlinks=True)
    queries = ["nature and health", "productivity in the NHS", "leadership book review"]
    with production_server(root, tmp_path / "server.log", ("--workers", "1")) as server:
        steady = soak(server, queries, clients=2, seconds=1.0)
        assert steady["requests"] > 0 and steady["errors"] == 0
        assert steady["p50_ms"] <= steady["p99_ms"]
        new = build(seed_posts, root, encoder=encoder)
        during = soak(server, queries, clients=2, seconds=2.0)
        assert during["errors"] == 0
        assert served_version_becomes(server, new.version)


def served_version_becomes(server, version: str, within_s: float = 30.0) -> bool:
    """The server polls `current` once a second; give a busy machine time to open and verify the new version."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        connection = server.connection()
        connection.request("GET", "/readyz")
        body = connection.getresponse().read().decode()
        connection.close()
        if version in body:
            return True
        time.sleep(0.2)
    return False


def test_soak_reports_failures(tmp_path: Path, index_root: Path):
    root = tmp_path / "index"
    shutil.copytree(index_root, root, symlinks=True)
    with production_server(root, tmp_path / "server.log", ("--workers", "1")) as server:
        result = soak(server, ["x" * 1500], clients=1, seconds=0.5)
    assert result["errors"] == result["requests"] > 0, "over-long queries are 400s, and a 400 is a failure here"
    assert result["first_errors"][0].startswith("400 ")
