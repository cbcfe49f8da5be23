"""Operator mistakes in a build (a read-only index folder or cache, --out naming a file): one line, exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from index import build, store
from tests.conftest import CORPUS, ROOT
from tests.test_integrity import copy_version

# Two real ways to make a path read-only even for root, who ignores permission bits (tests run as root here and in
# CI): a read-only bind mount (EROFS) and the immutable attribute (EPERM). Anyone else has the bits taken away.
READ_ONLY_WAYS = ["mount", "immutable"]


def run_build(out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "scripts/build_index.py", str(CORPUS), "--out", str(out), "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def seeded_index(index_root: Path, out: Path) -> str:
    """out as an operator's index folder: a served version, the build caches, the lock file a build leaves; returns
    where `current` points."""
    out.mkdir()
    copy_version(index_root, out)
    shutil.copytree(index_root / "cache" / "models", out / "cache" / "models", copy_function=os.link)
    shutil.copyfile(index_root / store.CACHE_FILE, out / store.CACHE_FILE)  # a copy: it is made read-only below
    (out / store.LOCK_FILE).touch()
    return os.readlink(out / store.CURRENT)


@contextmanager
def read_only(path: Path, way: str) -> Iterator[None]:
    """path (a folder or a file) read-only for the block, for real: writing to it fails, even as root."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        undo = [lambda: path.chmod(mode)]
    elif way == "mount":
        made = [["mount", "--bind", str(path), str(path)], ["mount", "-o", "remount,bind,ro", str(path)]]
        undo = [lambda: subprocess.run(["umount", str(path)], check=True)]
        for step in made:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                if step is made[1]:
                    undo[0]()
                pytest.skip(f"cannot make a read-only bind mount here: {done.stderr.strip()}")
    else:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot make {path} immutable here: {done.stderr.strip()}")
        undo = [lambda: subprocess.run(["chattr", "-i", str(path)], check=True)]
    try:
        with pytest.raises(OSError):  # the test is real only if the path truly cannot be written
            if path.is_dir():
                (path / "probe").touch()
            else:
                path.open("r+b").close()
        yield
    finally:
        undo[0]()


def assert_refused_in_one_line(done: subprocess.CompletedProcess, *needed: str) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for text in needed:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("way", READ_ONLY_WAYS)
def test_a_read_only_index_folder_is_one_line_saying_make_it_writable(tmp_path: Path, index_root: Path, way: str):
    out = tmp_path / "index"
    served = seeded_index(index_root, out)
    with read_only(out, way):
        done = run_build(out)
    assert_refused_in_one_line(done, str(out), "writable", "--out")
    assert os.readlink(out / store.CURRENT) == served
    assert store.verify_current(out).version == served


@pytest.mark.parametrize("way", READ_ONLY_WAYS)
@pytest.mark.parametrize("part", ["file", "folder"])
def test_a_read_only_embedding_cache_is_one_line_saying_what_to_do(
    tmp_path: Path, index_root: Path, part: str, way: str
):
    out = tmp_path / "index"
    served = seeded_index(index_root, out)
    cache = out / store.CACHE_FILE
    with read_only(cache if part == "file" else cache.parent, way):
        done = run_build(out)
    assert_refused_in_one_line(done, str(cache), "writable", "delete it")
    assert os.readlink(out / store.CURRENT) == served
    assert store.verify_current(out).version == served
    assert not list(out.glob(store.BUILD_PREFIX + "*")), "the started build folder is cleared away"


@pytest.mark.parametrize("under", [False, True])
def test_out_naming_a_file_is_one_line_saying_to_build_into_a_folder(tmp_path: Path, under: bool):
    file = tmp_path / "index.txt"
    file.write_text("an operator's notes\n", encoding="utf-8")
    out = file / "index" if under else file
    done = run_build(out)
    assert_refused_in_one_line(done, str(out), f"{file} is not a folder", "--out DIR")
    assert file.read_text(encoding="utf-8") == "an operator's notes\n"


def test_a_damaged_embedding_cache_is_set_aside_and_the_build_goes_on(tmp_path: Path, encoder, seed_posts, capsys):
    cache = tmp_path / "cache" / "embeddings.sqlite"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"this is not a SQLite database, it only looks like the cache's name" * 100)
    summary = build(seed_posts, tmp_path, encoder=encoder)
    assert summary.embedded == summary.passages
    assert "embedding cache" in capsys.readouterr().err
    assert cache.with_name("embeddings.sqlite.damaged").read_bytes().startswith(b"this is not")
    assert build(seed_posts, tmp_path, encoder=encoder).embedded == 0, "the new cache works"
