"""One build or rollback at a time under an index folder: the second waits for the first, and both end well."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from index import store
from tests.conftest import CORPUS, ROOT
from tests.test_integrity import copy_version

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
# A second process holding the index folder's build lock, as a running build or rollback does, until its stdin closes.
HOLDER = """
import sys
from pathlib import Path
from index import store
with store.build_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


def build_command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "scripts/build_index.py", *extra, "--out", str(out), "--quiet"]


@pytest.fixture(scope="module")
def cli_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index folder the command line built, so its model cache holds the graph builds embed passages with."""
    root = tmp_path_factory.mktemp("cli") / "index"
    done = subprocess.run(build_command(root), cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return root


def seeded(source: Path, out: Path) -> str:
    """out with a copy of source's current version served, and source's build caches unless out has some (builds
    in it then embed nothing anew); returns the served version's name."""
    out.mkdir(exist_ok=True)
    copy_version(source, out)
    if not (out / "cache").exists():
        shutil.copytree(source / "cache" / "models", out / "cache" / "models", copy_function=os.link)
        shutil.copyfile(source / store.CACHE_FILE, out / store.CACHE_FILE)
    return os.readlink(out / store.CURRENT)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def hold_lock(out: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)], cwd=ROOT, env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout.readline() == b"locked\n", "the holder could not take the build lock"
    return holder


def waits_for_holder(command: list[str], out: Path, log: Path) -> subprocess.CompletedProcess:
    """Run command while another process holds out's build lock: it must say it waits (naming the holder) and
    change nothing until the lock is let go, then finish."""
    served = os.readlink(out / store.CURRENT)
    holder = hold_lock(out)
    try:
        with log.open("w", encoding="utf-8") as stderr:
            running = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=stderr, text=True)
            wait_for(lambda: "waiting for another build" in log.read_text(encoding="utf-8"), "the waiting line")
            waiting = log.read_text(encoding="utf-8")
            assert f"pid {holder.pid}" in waiting and str(out) in waiting, waiting
            time.sleep(1)
            assert running.poll() is None, "it went ahead while the lock was held"
            assert os.readlink(out / store.CURRENT) == served
    finally:
        holder.communicate(timeout=60)  # closes its stdin: it lets go of the lock and exits
    stdout, _ = running.communicate(timeout=300)
    return subprocess.CompletedProcess(command, running.returncode, stdout, log.read_text(encoding="utf-8"))


def test_a_build_waits_for_the_holder_of_the_lock_then_publishes(tmp_path: Path, cli_root: Path):
    out = tmp_path / "index"
    seeded(cli_root, out)
    done = waits_for_holder(build_command(out, str(CORPUS)), out, tmp_path / "build.err")
    assert done.returncode == 0, done.stderr
    version = re.search(r"built (v\S+):", done.stdout).group(1)
    assert os.readlink(out / store.CURRENT) == version
    assert store.verify_current(out).version == version


def test_a_rollback_waits_for_the_holder_of_the_lock(tmp_path: Path, cli_root: Path, index_root: Path):
    out = tmp_path / "index"
    older, newer = sorted([seeded(index_root, out), seeded(cli_root, out)])
    store.point_current(out, newer)
    done = waits_for_holder(build_command(out, "--rollback"), out, tmp_path / "rollback.err")
    assert done.returncode == 0, done.stderr
    assert f"current is now {older} (was {newer})" in done.stdout
    assert os.readlink(out / store.CURRENT) == older


def test_two_builds_at_once_both_publish_and_keep_what_they_report(tmp_path: Path, cli_root: Path):
    """Two builds queued on the lock, then let go at once. Each prunes to the newest 2 versions: without the lock,
    one's prune could delete the version the other has just published and reported."""
    out = tmp_path / "index"
    seeded(cli_root, out)
    command = build_command(out, str(CORPUS), "--keep", "2")
    logs = [tmp_path / f"build-{n}.err" for n in range(2)]
    holder = hold_lock(out)
    try:
        builds = []
        for log in logs:
            with log.open("w", encoding="utf-8") as stderr:
                builds.append(subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=stderr))
        for log in logs:
            wait_for(lambda log=log: "waiting for another build" in log.read_text(encoding="utf-8"), "both to wait")
    finally:
        holder.communicate(timeout=60)
    reported = []
    for build, log in zip(builds, logs, strict=True):
        stdout, _ = build.communicate(timeout=600)
        assert build.returncode == 0, log.read_text(encoding="utf-8")
        reported.append(re.search(r"built (v\S+):", stdout.decode()).group(1))
    reported.sort()
    assert [v.name for v in store.versions(out)] == reported, "both reported versions exist; the seed was pruned"
    assert os.readlink(out / store.CURRENT) == reported[-1]
    assert store.verify_current(out).version == reported[-1]
    assert not list(out.glob(store.BUILD_PREFIX + "*"))
