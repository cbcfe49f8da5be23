"""The command lines: build_index.py and python -m service, on good and bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from index import store
from tests.conftest import ROOT


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_build_prints_a_summary_then_a_bad_line_fails_and_publishes_nothing(tmp_path: Path):
    out = tmp_path / "index"
    done = run("scripts/build_index.py", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "10 posts, 10 passages" in done.stdout and "passages/s" in done.stdout
    # Where the time went: every stage, in order, with its share.
    timing = next(line for line in done.stdout.splitlines() if line.startswith("time: "))
    stages = [part.split(" ")[0] for part in timing.removeprefix("time: ").split(", ")]
    assert stages == [
        "reading",
        "model",
        "splitting",
        "passage",
        "sentence",
        "FAISS",
        "sentence",
        "BM25",
        "checksums",
        "publish",
    ]
    shares = [int(part.rsplit("(", 1)[1].rstrip("%)")) for part in timing.split(", ")]
    assert 97 <= sum(shares) <= 103
    published = store.current_version(out)

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "fine", "text": "ok"}\n{"title": oops}\n', encoding="utf-8")
    failed = run("scripts/build_index.py", str(bad), "--out", str(out), "--quiet")
    assert failed.returncode != 0
    assert f"{bad}:2" in failed.stderr and "not valid JSON" in failed.stderr
    assert store.current_version(out) == published
    assert store.verify(published).posts == 10


def test_service_refuses_to_start_without_an_index(tmp_path: Path):
    done = run("-m", "service", "--index", str(tmp_path / "empty"), "--port", "0")
    assert done.returncode == 2
    assert "build_index.py" in done.stderr


def test_service_refuses_a_corrupt_index(tmp_path: Path, index_root: Path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(store.current_version(index_root), copy / "v1")
    (copy / "current").symlink_to("v1")
    (copy / "v1" / "posts.jsonl").write_text("garbage", encoding="utf-8")
    done = run("-m", "service", "--index", str(copy), "--port", "0")
    assert done.returncode == 2
    assert "posts.jsonl" in done.stderr and "rebuild" in done.stderr
