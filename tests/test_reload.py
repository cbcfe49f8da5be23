"""Reload without downtime: a new `current` is noticed, SIGHUP and POST /admin/reload, corrupt versions refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from index import Index, Post, SearchRequest, build, store
from service.reload import reload_on_sighup, same_query_graph
from service.serving import served_index
from tests.conftest import ROOT, create_test_app

TOKEN = "s3cret-token"


def corpus(version: int) -> list[Post]:
    return [
        Post(id=f"p{n}", title=f"Post {n}", text=f"Edition {version}: handovers on ward {n}.")
        for n in range(3 + version)
    ]


@pytest.fixture()
def root(tmp_path: Path, encoder) -> Path:
    build(corpus(1), tmp_path, encoder=encoder)
    return tmp_path


def make_app(root: Path, encoder, **config):
    return create_test_app(Index.open(root, encoder=encoder), INDEX_DIR=str(root), **config)


def ready(client) -> dict:
    return client.get("/readyz").get_json()


def wait_for(predicate, seconds: float = 60.0) -> None:
    """Poll until predicate() holds; the bound only stops a broken test from hanging."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_a_new_current_is_noticed_without_a_restart_and_reuses_the_model(root: Path, encoder):
    app = make_app(root, encoder, RELOAD_INTERVAL=0.05)
    client = app.test_client()
    first = ready(client)
    assert first["posts"] == 4 and first["refused"] is None
    second = build(corpus(2), root, encoder=encoder)
    wait_for(lambda: ready(client)["version"] == second.version)
    assert ready(client)["posts"] == 5
    assert app.extensions["served_index"].current().encoder is encoder, "the loaded model is reused, not reloaded"
    assert "Edition 2" in client.get("/api/search?q=handovers").get_json()["results"][0]["text"]

    # A rollback is a new `current` too: the service follows it back.
    _, back, _ = store.rollback(root)
    wait_for(lambda: ready(client)["version"] == back.name == first["version"])


def test_in_flight_requests_keep_the_index_they_started_with(root: Path, encoder):
    app = make_app(root, encoder, RELOAD_INTERVAL=0)
    served = app.extensions["served_index"]
    with app.test_request_context("/api/search?q=ward"):
        before = served_index()
        build(corpus(2), root, encoder=encoder)
        assert served.reload().status == "reloaded"
        assert served_index() is before, "a request never switches versions half-way"
        assert before.search(SearchRequest("ward", k=1))
    with app.test_request_context("/api/search?q=ward"):
        assert served_index().manifest.posts == 5


def test_searches_never_fail_while_versions_are_swapped(root: Path, encoder):
    # The searcher hammers the API far past any per-client limit; this test is about reloads, not rate limits.
    app = make_app(root, encoder, RELOAD_INTERVAL=0, RATE_LIMIT_PER_MINUTE=0)
    served = app.extensions["served_index"]
    statuses: list[int] = []
    stop = threading.Event()

    def search_until_stopped() -> None:
        client = app.test_client()
        while not stop.is_set():
            statuses.append(client.get("/api/search?q=handovers&k=3").status_code)

    searcher = threading.Thread(target=search_until_stopped)
    searcher.start()
    try:
        for edition in (2, 3, 4):
            build(corpus(edition), root, encoder=encoder)
            assert served.reload().status == "reloaded"
    finally:
        stop.set()
        searcher.join()
    assert statuses and set(statuses) == {200}
    assert served.current().manifest.posts == 7


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_corrupt_new_version_is_refused_and_the_old_one_stays(root: Path, encoder, damage: str):
    app = make_app(root, encoder, RELOAD_INTERVAL=0.05)
    client = app.test_client()
    serving = ready(client)["version"]
    bad = build(corpus(2), root, encoder=encoder)
    target = bad.folder / "posts.jsonl"
    data = target.read_bytes()
    target.write_bytes(data[:10] + bytes([data[10] ^ 0x01]) + data[11:] if damage == "flip" else data[:-20])
    wait_for(lambda: ready(client)["refused"] is not None)
    state = ready(client)
    assert state["version"] == serving
    assert state["refused"]["version"] == bad.version and "posts.jsonl" in state["refused"]["error"]
    assert client.get("/api/search?q=handovers").status_code == 200


def test_admin_reload_needs_the_token(root: Path, encoder):
    closed = make_app(root, encoder, RELOAD_INTERVAL=0).test_client()
    response = closed.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "admin_disabled"

    client = make_app(root, encoder, RELOAD_INTERVAL=0, ADMIN_TOKEN=TOKEN).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN[:-1]}):
        response = client.post("/admin/reload", headers=headers)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/admin/reload", headers=auth).get_json()["status"] == "unchanged"
    newer = build(corpus(2), root, encoder=encoder)
    done = client.post("/admin/reload", headers=auth).get_json()
    assert (done["status"], done["version"]) == ("reloaded", newer.version)

    corrupt = build(corpus(3), root, encoder=encoder)
    (corrupt.folder / "vectors.faiss").write_bytes(b"not a faiss index")
    refused = client.post("/admin/reload", headers=auth)
    assert refused.status_code == 409 and refused.get_json()["version"] == newer.version
    assert ready(client)["version"] == newer.version


def test_sighup_reloads(root: Path, encoder):
    app = make_app(root, encoder, RELOAD_INTERVAL=0)
    served = app.extensions["served_index"]
    newer = build(corpus(2), root, encoder=encoder)
    previous = signal.getsignal(signal.SIGHUP)
    try:
        reload_on_sighup(served)
        os.kill(os.getpid(), signal.SIGHUP)
        wait_for(lambda: served.current().version == newer.version)
    finally:
        signal.signal(signal.SIGHUP, previous)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_under_gunicorn_sighup_to_a_worker_or_the_master_serves_the_new_version(root: Path, encoder):
    port = free_port()
    env = {**os.environ, "BLOG_SEARCH_RELOAD_INTERVAL": "0", "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "service", "--index", str(root), "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def version() -> str | None:
            try:
                return get_json(f"{base}/readyz")["version"]
            except OSError:
                return None

        wait_for(lambda: version() is not None, 120)
        worker = int(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()[0])

        second = build(corpus(2), root, encoder=encoder)
        os.kill(worker, signal.SIGHUP)
        wait_for(lambda: version() == second.version)
        assert Path(f"/proc/{worker}").exists(), "the worker reloaded in place; SIGHUP did not kill it"

        # The master's SIGHUP replaces the worker; searches sent meanwhile wait in the listen queue, none fails.
        third = build(corpus(3), root, encoder=encoder)
        failures: list[str] = []
        os.kill(server.pid, signal.SIGHUP)

        def searched_new_version() -> bool:
            try:
                return bool(get_json(f"{base}/api/search?q=handovers")["results"]) and version() == third.version
            except OSError as exc:
                failures.append(repr(exc))
                return False

        wait_for(searched_new_version, 120)
        assert not failures
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_a_new_query_graph_is_loaded_not_reused():
    served = SimpleNamespace(
        encoder=SimpleNamespace(model_path=Path("/v1/model.int8.onnx")),
        manifest=SimpleNamespace(files={"model.int8.onnx": {"sha256": "aaa"}}),
    )
    assert same_query_graph(SimpleNamespace(files={"model.int8.onnx": {"sha256": "aaa"}}), served)
    assert not same_query_graph(SimpleNamespace(files={"model.int8.onnx": {"sha256": "bbb"}}), served)
    assert not same_query_graph(SimpleNamespace(files={}), served), "a version without that graph brings its own"
    assert same_query_graph(SimpleNamespace(files={}), SimpleNamespace(encoder=SimpleNamespace())), "no graph file"
