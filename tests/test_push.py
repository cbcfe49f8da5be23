"""The push API (`PUT`/`DELETE`/`GET /admin/posts/<id>`): a durable journal, a background build, real processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from index import Index, Post, SearchRequest, build, store
from index.errors import CorpusError, IndexFormatError
from index.journal import JOURNAL_FILE, Journal, build_with_pushes, current_posts, pushed_post
from tests.conftest import ROOT
from tests.test_reload import free_port, wait_for

TOKEN = "push-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
KAYAK = {
    "title": "Paddling the fjords",
    "text": "Our kayak trip along the Norwegian fjords took eleven days. We paddled from Bergen to Flåm, camping on "
    "small islands each night.",
    "author": "Ingrid Berg",
    "url": "https://blog.example.org/kayak",
    "published": "2026-11-30",
    "tags": ["travel"],
}


def corpus() -> list[Post]:
    return [
        Post(
            id=f"post-{n}",
            title=f"Garden diary {n}",
            text=f"Week {n} in the allotment: the beans climbed, the tomatoes ripened and slugs ate lettuce {n}.",
            author="Sam Green",
            url=f"https://blog.example.org/garden-{n}",
            published="2024-06-01",
        )
        for n in range(1, 4)
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One root built the way a server's would be (the ONNX graphs the applier builds with are in its cache)."""
    root = tmp_path_factory.mktemp("push") / "index"
    build(corpus(), root)
    return root


@pytest.fixture()
def root(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(built, copy, symlinks=True)
    return copy


def app_for(root: Path, **config):
    from service import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(root), "ADMIN_TOKEN": TOKEN, **config})


def found(client, query: str) -> list[str]:
    return [hit["post"]["id"] for hit in client.get("/api/search", query_string={"q": query}).get_json()["results"]]


def wait_for_applier(root: Path, seconds: float = 120) -> None:
    def done() -> bool:
        with Journal(root) as journal:
            return not journal.pending()

    wait_for(done, seconds)


# The journal and the build ---------------------------------------------------------------------------------------


def test_a_recorded_change_is_on_disk_for_another_connection(tmp_path: Path):
    with Journal(tmp_path) as journal:
        change = journal.record("a-1", pushed_post("a-1", KAYAK))
    with Journal(tmp_path) as other:
        latest = other.latest("a-1")
        assert latest is not None and latest.seq == change.seq and latest.pending
        assert latest.post is not None and latest.post.title == "Paddling the fjords"
        assert latest.post.source == "push"
    with sqlite3.connect(tmp_path / JOURNAL_FILE) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_damaged_journal_says_what_to_do(tmp_path: Path):
    (tmp_path / JOURNAL_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexFormatError, match="move it aside"):
        Journal(tmp_path)


@pytest.mark.parametrize(
    ("post_id", "body", "problem"),
    [
        ("a", {"title": "no text"}, "field 'text' is missing"),
        ("a", {"text": "x", "published": "2999-01-01"}, "in the future"),
        ("a", {"text": "x", "id": "b"}, "is not the URL's"),
        ("a", {"text": "x", "colour": "red"}, "unknown field"),
        ("a", ["not", "an", "object"], "JSON object"),
        (" a", {"text": "x"}, "surrounding spaces"),
        ("a\x07", {"text": "x"}, "control characters"),
        ("a" * 201, {"text": "x"}, "1 to 200 characters"),
    ],
)
def test_a_bad_pushed_post_is_refused_with_why(post_id, body, problem):
    with pytest.raises(CorpusError, match=problem):
        pushed_post(post_id, body)


def test_a_rebuild_from_sources_keeps_what_was_pushed(root: Path):
    with Journal(root) as journal:
        journal.record("kayak", pushed_post("kayak", KAYAK))
        journal.record("post-2", None)
    summary = build_with_pushes(corpus(), root)
    ids = {post.id for post in current_posts(root)}
    assert ids == {"post-1", "post-3", "kayak"}
    with Journal(root) as journal:
        assert not journal.pending()
        latest = journal.latest("kayak")
        assert latest is not None and latest.applied_version == summary.version


def test_a_pushed_post_replaces_the_same_post_read_under_another_id(root: Path):
    """An export gives ids made from URLs; WordPress pushes its own numbers. One post must be indexed once."""
    edited = {**KAYAK, "url": "https://blog.example.org/garden-1/", "title": "Garden diary 1, edited"}
    with Journal(root) as journal:
        journal.record("wp-7", pushed_post("wp-7", edited))
        journal.record("wp-9", None, url="http://BLOG.example.org/garden-2")
        journal.record("wp-7", None)  # no URL given: the one wp-7 was last put with
    assert journal.latest_changes is not None
    with Journal(root) as journal:
        last = journal.latest("wp-7")
        assert last is not None and last.url == "https://blog.example.org/garden-1/"
        from index.journal import overlay

        changes = journal.latest_changes(2)
        assert {p.id for p in overlay(corpus(), changes)} == {"wp-7", "post-3"}
        assert {p.id for p in overlay(corpus(), journal.latest_changes(3))} == {"post-3"}


# The endpoints, in process -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE", "GET"])
def test_every_push_route_needs_the_token(root: Path, method: str):
    client = app_for(root).test_client()
    wrong = client.open("/admin/posts/kayak", method=method, json=KAYAK, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "unauthorized"
    off = app_for(root, ADMIN_TOKEN="").test_client()
    response = off.open("/admin/posts/kayak", method=method, json=KAYAK, headers=AUTH)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "admin_disabled"
    assert not (root / JOURNAL_FILE).exists()


def test_bad_bodies_get_the_json_error_shape(root: Path):
    client = app_for(root, MAX_POST_BYTES=2048).test_client()
    not_json = client.put("/admin/posts/k", data="title=x", headers=AUTH)
    assert not_json.status_code == 400 and not_json.get_json()["error"]["code"] == "bad_json"
    invalid = client.put("/admin/posts/k", json={"title": "x"}, headers=AUTH)
    assert invalid.status_code == 422 and "text" in invalid.get_json()["error"]["message"]
    huge = client.put("/admin/posts/k", json={"text": "x" * 5000}, headers=AUTH)
    assert huge.status_code == 413 and "MAX_POST_BYTES" in huge.get_json()["error"]["message"]
    wrong_method = client.post("/admin/posts/k", json=KAYAK, headers=AUTH)
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    # Other routes keep the small limit for bodies.
    other = client.post("/admin/reload", data=b"x" * 20000, headers=AUTH)
    assert other.status_code == 413
    assert not (root / JOURNAL_FILE).exists()


def test_a_single_version_folder_cannot_take_pushes(root: Path):
    version = store.current_version(root)
    from service import create_app

    client = create_app({"TESTING": True, "INDEX_DIR": str(version), "ADMIN_TOKEN": TOKEN}).test_client()
    response = client.put("/admin/posts/kayak", json=KAYAK, headers=AUTH)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_a_versioned_index"


def test_push_then_delete_in_process(root: Path):
    client = app_for(root, PUSH_QUIET_SECONDS=0).test_client()
    assert client.get("/admin/posts/post-1", headers=AUTH).get_json()["status"] == "live"
    assert client.get("/admin/posts/kayak", headers=AUTH).status_code == 404

    accepted = client.put("/admin/posts/kayak", json=KAYAK, headers=AUTH)
    assert accepted.status_code == 202 and accepted.get_json()["status"] == "pending"
    wait_for(lambda: "kayak" in found(client, "kayak trip in Norway"), 120)
    status = client.get("/admin/posts/kayak", headers=AUTH).get_json()
    assert status["status"] == "live" and status["change"]["applied_version"] == status["version"]

    assert client.delete("/admin/posts/post-1", headers=AUTH).status_code == 202
    wait_for(lambda: "post-1" not in found(client, "allotment beans lettuce 1"), 120)
    assert client.get("/admin/posts/post-1", headers=AUTH).get_json()["status"] == "deleted"


# A real server, killed between the answer and the build -----------------------------------------------------------


def serve(root: Path, port: int, quiet: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "BLOG_SEARCH_ADMIN_TOKEN": TOKEN,
        "BLOG_SEARCH_PUSH_QUIET_SECONDS": str(quiet),
        "BLOG_SEARCH_RELOAD_INTERVAL": "0.5",
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "service", "--index", str(root), "--port", str(port), "--workers", "2"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def call(method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={**AUTH, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, {}


def appliers(root: Path) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"service.apply {root}"], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def test_a_push_answered_before_a_crash_lands_after_the_restart(root: Path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def results(query: str) -> list[dict]:
        status, body = call("GET", f"{base}/api/search?q={urllib.request.quote(query)}")
        return body.get("results", []) if status == 200 else []

    # A long quiet period holds the build back, so the kill lands between the 202 and the build.
    server = serve(root, port, quiet=300)
    try:
        wait_for(lambda: call("GET", f"{base}/readyz")[0] == 200, 120)
        status, body = call("PUT", f"{base}/admin/posts/kayak", KAYAK)
        assert status == 202 and body["status"] == "pending"
        wait_for(lambda: bool(appliers(root)), 30)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    for pid in appliers(root):  # the build it started dies with it, as on a power cut
        os.kill(pid, signal.SIGKILL)
    subprocess.run(["pkill", "-9", "-f", f"service --index {root}"], check=False)
    time.sleep(0.5)
    assert {post.id for post in current_posts(root)} == {"post-1", "post-2", "post-3"}

    server = serve(root, port, quiet=0)
    try:
        wait_for(lambda: call("GET", f"{base}/readyz")[0] == 200, 120)
        seen: list[dict] = []

        def kayak_found() -> bool:
            seen[:] = [hit for hit in results("kayak trip in Norway") if hit["post"]["id"] == "kayak"]
            return bool(seen)

        wait_for(kayak_found, 120)
        hit = seen[0]
        assert hit["post"]["title"] == "Paddling the fjords" and hit["post"]["author"] == "Ingrid Berg"
        assert hit["post"]["url"] == "https://blog.example.org/kayak" and hit["post"]["published"] == "2026-11-30"
        wait_for(lambda: call("GET", f"{base}/admin/posts/kayak")[1].get("status") == "live", 30)

        # Delete through the same server: gone from search.
        assert call("DELETE", f"{base}/admin/posts/kayak")[0] == 202
        wait_for(lambda: not any(hit["post"]["id"] == "kayak" for hit in results("kayak trip in Norway")), 120)
        wait_for(lambda: call("GET", f"{base}/admin/posts/kayak")[1].get("status") == "deleted", 30)
    finally:
        server.terminate()
        server.wait(timeout=60)
    index = Index.open(root)
    assert "kayak" not in index.posts
    assert index.search(SearchRequest("allotment beans"))
