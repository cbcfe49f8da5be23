"""scripts/sync.py keeps an index in step with its sources: a feed polled with conditional requests (its old posts
kept as they fall off it), folders re-read whole (their deleted posts removed), a version built only on a change, a
failed poll keeping what was published; end to end through a real sync process and a real service."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from index import Index, Post, SearchRequest, build, store
from index.journal import Journal, current_posts
from index.store import MODEL_CACHE_DIR
from index.syncstate import STATE_FILE, sync_lock
from scripts import build_index, sync
from tests.conftest import ROOT
from tests.feed_server import feed_server, rss, status_route


def entry(slug: str, title: str, text: str, **fields: object) -> dict:
    return {"title": title, "link": f"https://blog.example.org/{slug}/", "text": text, **fields}


OLDEST = entry("locums", "Locum cover", "Locum doctors cover gaps in the winter rota at short notice.")
MIDDLE = entry("checklists", "Checklists", "A paper checklist at the nurses' station keeps handovers complete.")
NEWER = entry("mentoring", "Mentoring juniors", "Consultants mentor junior doctors through their first night shifts.")
MIDDLE_EDITED = entry(
    "checklists", "Checklists", "The handover checklist now lives in the electronic record, not on paper."
)
NEWEST = entry(
    "allotment",
    "The hospital allotment",
    "Porters and pharmacists grow courgettes on the hospital allotment behind the car park.",
    author="Dr Ryan Kemp",
    date="Tue, 14 May 2024 08:30:00 +0000",
    tags=["wellbeing", "gardening"],
)


@pytest.fixture(scope="module")
def warm_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root built once as sync builds (the default ONNX encoder), so each test's root links its model cache."""
    root = tmp_path_factory.mktemp("warm")
    build([Post(id="warm", title="Warm", text="Warming the model cache.")], root)
    return root


def fresh_root(warm_root: Path, root: Path) -> Path:
    root.mkdir()
    shutil.copytree(warm_root / MODEL_CACHE_DIR, root / MODEL_CACHE_DIR, copy_function=os.link)
    return root


def run_sync(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = sync.main([*args, "--once"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def posts_matching(root: Path, query: str) -> dict[str, dict]:
    """The posts of the top hits for a query, by title, with the attribution a search result carries."""
    index = Index.open(root)
    return {hit.post.title or "": hit.post.attribution() for hit in index.search(SearchRequest(query, k=3))}


def test_a_feed_and_a_folder_are_kept_in_step(warm_root: Path, tmp_path: Path, capsys):
    root = fresh_root(warm_root, tmp_path / "index")
    folder = tmp_path / "posts"
    folder.mkdir()
    notes = {
        "rounds.jsonl": {"id": "rounds", "title": "Ward rounds", "text": "Ward rounds start at eight with the team."},
        "parking.jsonl": {"id": "parking", "title": "Parking", "text": "Staff parking permits are renewed in March."},
    }
    for name, post in notes.items():
        (folder / name).write_text(json.dumps(post) + "\n", encoding="utf-8")
    with feed_server() as server:
        url = server.put("/feed/", rss([NEWER, MIDDLE, OLDEST]))
        sources = [url, str(folder), "--out", str(root)]

        assert build_index.main([url, str(folder), "--out", str(root), "--quiet"]) == 0
        assert f"read {url}: 3 posts (RSS/Atom feed at a URL) of 3 entries, 0 skipped" in capsys.readouterr().out
        built = store.current_version(root).name

        # The first pass finds what build_index built; the second is answered 304 and reads nothing.
        code, out = run_sync(capsys, *sources)
        assert code == 0 and "unchanged (5 posts)" in out, out
        started = time.monotonic()
        code, out = run_sync(capsys, *sources)
        unchanged_seconds = time.monotonic() - started
        assert code == 0 and "unchanged (5 posts; 1 feed(s) not modified)" in out, out
        assert server.statuses("/feed/") == [200, 200, 304]
        assert store.current_version(root).name == built and (root / STATE_FILE).is_file()

        # The feed moves on (one new, one edited, the oldest falls off it); a file is deleted from the folder.
        server.put("/feed/", rss([NEWEST, NEWER, MIDDLE_EDITED]))
        (folder / "parking.jsonl").unlink()
        code, out = run_sync(capsys, *sources)
        assert code == 0 and "1 new, 1 edited, 1 removed -> built v" in out, out
        assert store.current_version(root).name != built
        newest = posts_matching(root, "courgettes on the allotment")["The hospital allotment"]
        assert {**newest, "id": None} == {
            "id": None,
            "title": "The hospital allotment",
            "author": "Dr Ryan Kemp",
            "url": "https://blog.example.org/allotment/",
            "published": "2024-05-14T08:30:00+00:00",
            "tags": ["wellbeing", "gardening"],
            "source": url,
        }
        index = Index.open(root)
        texts = {hit.post.title: hit.passage.text for hit in index.search(SearchRequest("handover checklist", k=10))}
        assert "electronic record" in texts["Checklists"]
        assert "Locum cover" in posts_matching(root, "locum doctors winter rota"), "fell off the feed, still indexed"
        assert "Parking" not in posts_matching(root, "staff parking permits"), "deleted from the folder"
        assert index.manifest.posts == 5

        # A failed poll (the feed server down, a broken file) keeps the published version and every post.
        served = store.current_version(root).name
        server.routes["/feed/"] = status_route(500)
        (folder / "rounds.jsonl").write_text("{broken\n", encoding="utf-8")
        code, out = run_sync(capsys, *sources)
        assert code == 1, out
        assert f"failed {url}: the server answered HTTP 500 Internal Server Error; try again later" in out
        assert "(keeping its 4 posts; trying again next pass)" in out
        assert f"failed {folder}: {folder / 'rounds.jsonl'}:1: " in out and "(keeping its 1 post; trying" in out
        assert "unchanged (5 posts)" in out and store.current_version(root).name == served
        assert "Locum cover" in posts_matching(root, "locum doctors winter rota")

        # Back up: the stored validators still hold, so the feed is not read again.
        del server.routes["/feed/"]
        (folder / "rounds.jsonl").write_text(json.dumps(notes["rounds.jsonl"]) + "\n", encoding="utf-8")
        code, out = run_sync(capsys, *sources)
        assert code == 0 and "unchanged (5 posts; 1 feed(s) not modified)" in out, out
        assert server.statuses("/feed/")[-1] == 304
    print(f"a pass with nothing changed took {unchanged_seconds:.2f} s")


def test_a_post_pushed_through_the_admin_api_survives_a_sync_build(warm_root: Path, tmp_path: Path, capsys):
    root = fresh_root(warm_root, tmp_path / "index")
    folder = tmp_path / "posts"
    folder.mkdir()
    post = {"id": "rounds", "title": "Ward rounds", "text": "Ward rounds start at eight with the team."}
    (folder / "rounds.jsonl").write_text(json.dumps(post) + "\n", encoding="utf-8")
    assert run_sync(capsys, str(folder), "--out", str(root))[0] == 0
    with Journal(root) as journal:
        journal.record("pushed", Post(id="pushed", title="Pushed", text="A post pushed from the CMS about rotas."))
    # Pushes alone change nothing sync reads: no rebuild (the service's applier builds them).
    code, out = run_sync(capsys, str(folder), "--out", str(root))
    assert code == 0 and "unchanged (1 post)" in out, out
    (folder / "rounds.jsonl").write_text(json.dumps({**post, "text": "Ward rounds start at nine."}) + "\n")
    code, out = run_sync(capsys, str(folder), "--out", str(root))
    assert code == 0 and "0 new, 1 edited, 0 removed -> built v" in out, out
    assert {p.id for p in current_posts(root)} == {"rounds", "pushed"}


def test_a_source_never_read_holds_the_build_back(warm_root: Path, tmp_path: Path, capsys):
    root = tmp_path / "index"
    with feed_server() as server:
        server.routes["/feed/"] = status_route(503)
        folder = tmp_path / "posts"
        folder.mkdir()
        (folder / "a.jsonl").write_text('{"id": "a", "title": "A", "text": "Some text."}\n', encoding="utf-8")
        code, out = run_sync(capsys, server.url("/feed/"), str(folder), "--out", str(root))
    assert code == 1
    assert "HTTP 503 Service Unavailable; try again later (it has never been read; trying again next pass)" in out
    assert "kept the served version: " in out and "has never been read" in out
    assert not (root / store.CURRENT).exists()


def test_one_sync_per_root_and_the_arguments_are_checked(tmp_path: Path, capsys):
    with sync_lock(tmp_path):
        assert sync.main([str(tmp_path / "none"), "--out", str(tmp_path), "--once"]) == 2
    assert f"another sync of {tmp_path} is running (pid {os.getpid()})" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sync.main([str(tmp_path)])
    assert "--every" in capsys.readouterr().err
    # A pass that cannot start (its state damaged) says what to do, publishes nothing and fails the cron run.
    (tmp_path / STATE_FILE).write_text("{not json", encoding="utf-8")
    assert sync.main([str(tmp_path / "none"), "--out", str(tmp_path), "--once"]) == 1
    assert f"pass failed, served version kept: {tmp_path / STATE_FILE} is unreadable" in capsys.readouterr().out
    assert [sync.duration(v) for v in ("30s", "10m", "1h", "90", "1.5m", "1d")] == [30, 600, 3600, 90, 90, 86400]
    for bad in ("0", "10x", "-5m", ""):
        with pytest.raises(Exception, match="a duration such as 30s"):
            sync.duration(bad)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate: Callable[[], object], seconds: float) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def test_a_sync_process_puts_a_new_feed_entry_into_a_running_service(warm_root: Path, tmp_path: Path):
    root = fresh_root(warm_root, tmp_path / "index")
    log = tmp_path / "sync.log"
    port = free_port()
    env = {**os.environ, "BLOG_SEARCH_RELOAD_INTERVAL": "0.2", "HF_HUB_OFFLINE": "1"}
    with feed_server() as server, log.open("w") as output:
        url = server.put("/feed/", rss([NEWER, MIDDLE, OLDEST]))
        syncing = subprocess.Popen(
            [sys.executable, "scripts/sync.py", url, "--out", str(root), "--every", "1s"],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        service = None
        try:
            wait_for(lambda: (root / store.CURRENT).exists(), 180)
            service = subprocess.Popen(
                [sys.executable, "-m", "service", "--index", str(root), "--port", str(port), "--workers", "1"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

            def search(query: str) -> list[dict]:
                address = f"http://127.0.0.1:{port}/api/search?" + urllib.parse.urlencode({"q": query, "k": 3})
                try:
                    with urllib.request.urlopen(address, timeout=30) as response:
                        return json.loads(response.read())["results"]
                except OSError:
                    return []

            assert wait_for(lambda: search("night shifts"), 180)
            server.put("/feed/", rss([NEWEST, NEWER, MIDDLE]))
            published = time.monotonic()

            def allotment() -> dict | None:
                return next(
                    (r["post"] for r in search("courgettes allotment") if r["post"]["title"] == NEWEST["title"]),
                    None,
                )

            post = wait_for(allotment, 120)
            print(f"a new feed entry was searchable {time.monotonic() - published:.1f} s after it was published")
            assert isinstance(post, dict)
            assert {k: post[k] for k in ("author", "url", "published", "tags", "source")} == {
                "author": "Dr Ryan Kemp",
                "url": "https://blog.example.org/allotment/",
                "published": "2024-05-14T08:30:00+00:00",
                "tags": ["wellbeing", "gardening"],
                "source": url,
            }
            # The entry that fell off the feed is still found.
            assert any(r["post"]["title"] == "Locum cover" for r in search("locum doctors winter rota"))
            syncing.send_signal(signal.SIGINT)
            assert syncing.wait(timeout=60) == 0
        finally:
            for process in (syncing, service):
                if process is not None and process.poll() is None:
                    process.terminate()
                    process.wait(timeout=60)
    lines = log.read_text(encoding="utf-8")
    assert "0 new, 0 edited, 0 removed -> built v" not in lines
    assert "3 new, 0 edited, 0 removed -> built v" in lines and "1 new, 0 edited, 0 removed -> built v" in lines
    assert "unchanged (3 posts; 1 feed(s) not modified)" in lines
    assert lines.rstrip().endswith("stopped; the served version is whatever the last pass published"), lines
