"""The production server against hostile and unlucky conditions: slow clients, over-long request lines, bad
settings, and a worker that cannot open the index."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from index import store
from index.bench.server import RunningServer, free_port, process_tree, production_server
from tests.conftest import ROOT

SLOW_CLIENTS = 32


def get(server: RunningServer, path: str, method: str = "GET", timeout: float = 10) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class SlowClients:
    """Connections that send a request's start and then one byte a second, for as long as the test runs."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets: list[socket.socket] = []
        for number in range(count):
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            if number % 2:  # a request line, then headers that never end
                conn.sendall(b"GET /api/search?q=nhs HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            else:  # complete headers, then a body dripped a byte at a time
                conn.sendall(b"GET /api/search?q=nhs HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4000\r\n\r\n")
            self.sockets.append(conn)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        while not self.stop.wait(1.0):
            for conn in self.sockets:
                with contextlib.suppress(OSError):
                    conn.send(b"a")

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for conn in self.sockets:
            conn.close()


def test_slow_clients_never_hold_up_a_search(tmp_path: Path, index_root: Path):
    with production_server(index_root, tmp_path / "server.log", ("--workers", "2")) as server:
        slow = SlowClients(server.port, SLOW_CLIENTS)
        try:
            time.sleep(2.5)  # long enough for every slow request to be taken up by a worker, and dripped twice
            for _ in range(3):
                started = time.perf_counter()
                status, _, body = get(server, "/api/search?q=leadership", timeout=30)
                seconds = time.perf_counter() - started
                assert status == 200 and json.loads(body)["results"]
                assert seconds < 1.0, f"a search waited {seconds:.1f} s behind {SLOW_CLIENTS} slow clients"
        finally:
            slow.close()


def test_an_over_long_request_line_gets_the_apis_json_error(tmp_path: Path, index_root: Path):
    with production_server(index_root, tmp_path / "server.log", ("--workers", "1")) as server:
        # 1,001 accented characters are 6,006 bytes encoded: past gunicorn's default line limit (4,094), so the
        # validator must see them and answer in the API's shape.
        status, headers, body = get(server, "/api/search?q=" + quote("é" * 1001))
        assert status == 400 and json.loads(body)["error"]["code"] == "query_too_long"
        # Past the longest line gunicorn reads at all: still JSON, never gunicorn's HTML page.
        status, headers, body = get(server, "/api/search?q=" + "a" * 9000)
        assert status == 414 and headers["Content-Type"] == "application/json"
        assert json.loads(body)["error"]["code"] == "request_uri_too_large"
        assert get(server, "/api/search?q=still+serving")[0] == 200


def run_service(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BLOG_SEARCH_")}
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BLOG_SEARCH_MAX_K": "abc"}, "BLOG_SEARCH_MAX_K"),
        ({"BLOG_SEARCH_DEFAULT_K": "50", "BLOG_SEARCH_MAX_K": "20"}, "BLOG_SEARCH_DEFAULT_K"),
        ({"BLOG_SEARCH_ALLOWED_ORIGINS": "https://a.example; script-src *"}, "BLOG_SEARCH_ALLOWED_ORIGINS"),
        ({"BLOG_SEARCH_ALLOWED_ORIGINS": "https://a.example/path"}, "BLOG_SEARCH_ALLOWED_ORIGINS"),
        ({"BLOG_SEARCH_RATE_LIMIT_BURST": "0"}, "BLOG_SEARCH_RATE_LIMIT_BURST"),
        ({"BLOG_SEARCH_TRUST_PROXY": "maybe"}, "BLOG_SEARCH_TRUST_PROXY"),
        ({"BLOG_SEARCH_RELOAD_INTERVAL": "-1"}, "BLOG_SEARCH_RELOAD_INTERVAL"),
        ({"BLOG_SEARCH_MAX_k": "50"}, "BLOG_SEARCH_MAX_k"),
        ({"BLOG_SEARCH_WORKERS": "two"}, "BLOG_SEARCH_WORKERS"),
    ],
)
def test_a_bad_setting_stops_the_server_before_it_binds(index_root: Path, env: dict[str, str], named: str):
    port = free_port()
    done = run_service(env, "--index", str(index_root), "--port", str(port))
    assert done.returncode == 2, done.stderr[-2000:]
    assert named in done.stderr and "Traceback" not in done.stderr
    assert "Listening at" not in done.stdout + done.stderr and "Booting worker" not in done.stdout + done.stderr


def worker_pids(server: RunningServer) -> list[int]:
    return [pid for pid in process_tree(server.process.pid) if pid != server.process.pid]


def test_a_worker_that_cannot_open_the_index_backs_off_and_says_not_ready(tmp_path: Path, index_root: Path):
    root = tmp_path / "index"
    shutil.copytree(index_root, root, symlinks=True)
    log = tmp_path / "server.log"
    with production_server(root, log, ("--workers", "1")) as server:
        (healthy,) = worker_pids(server)  # it has answered /readyz: it holds the index
        (store.current_version(root) / "posts.jsonl").write_text("edited in place\n", encoding="utf-8")
        os.kill(server.process.pid, signal.SIGTTIN)  # gunicorn starts one more worker, which cannot open the index
        time.sleep(6)  # a storm restarted failing workers dozens of times in this long

        text = log.read_text()
        assert text.count("Booting worker") == 2, "the added worker started once and stayed up"
        assert "Traceback" not in text
        failing = [line for line in text.splitlines() if "cannot open the index" in line]
        assert len(failing) == 1 and "posts.jsonl" in failing[0], failing
        assert healthy in worker_pids(server)

        statuses = {}
        for _ in range(60):
            status, _, body = get(server, "/readyz")
            statuses.setdefault(status, json.loads(body))
            status, headers, body = get(server, "/api/search?q=leadership")
            assert status in (200, 503)
            if status == 503:
                assert json.loads(body)["error"]["code"] == "not_ready" and "Retry-After" in headers
            if len(statuses) == 2:
                break
        assert statuses[200]["status"] == "ready", "the worker that has the index goes on serving"
        assert statuses[503]["status"] == "not ready" and "posts.jsonl" in statuses[503]["error"]


def test_the_servers_metrics_folder_goes_when_it_stops(tmp_path: Path, index_root: Path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    with production_server(index_root, tmp_path / "server.log", ("--workers", "1")):
        assert len(list(scratch.glob("blog-search-metrics-*"))) == 1
    assert not list(scratch.glob("blog-search-metrics-*")), "every server start left its metrics folder in /tmp"
