"""Build the pushed changes waiting in an index root's journal into a new version (`python -m service.apply ROOT`).

The service starts one after each accepted push, and each worker starts one when it starts (so changes accepted
just before a crash are built once it is back). At most one runs per root: the others find its lock taken and
leave, and it looks for changes once more after it lets go, so none that came while it built is left waiting.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from index.errors import SearchError
from index.journal import Journal, build_with_pushes, wait_for_quiet

log = logging.getLogger("service.applier")
APPLY_LOCK = ".push-apply.lock"
# Tries of a failing build (a full disk, a damaged cache) before this applier gives up; the next push or server
# start tries again, and GET /admin/posts/<id> shows the error meanwhile.
ATTEMPTS = 3
RETRY_S = 5.0


def has_pending(root: Path) -> bool:
    journal = Journal.existing(root)
    if journal is None:
        return False
    with journal:
        return bool(journal.pending())


def apply_pushes(root: Path, quiet_s: float) -> int:
    """Build until no change waits; 0 when none does (or another applier has them), 1 after ATTEMPTS failures."""
    while True:
        fd = os.open(root / APPLY_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0
            if not _apply_all(root, quiet_s):
                return 1
        finally:
            os.close(fd)
        # A change that came after the last look, while the lock was held, found it taken: look again.
        if not has_pending(root):
            return 0


def _apply_all(root: Path, quiet_s: float) -> bool:
    failures = 0
    while True:
        with Journal(root) as journal:
            waiting = len(journal.pending())
            if not waiting:
                return True
            wait_for_quiet(journal, quiet_s)
        started = time.monotonic()
        try:
            summary = build_with_pushes(None, root)
        except (SearchError, OSError) as exc:
            failures += 1
            log.error(
                "could not build %d pushed change(s) into %s (try %d of %d): %s", waiting, root, failures, ATTEMPTS, exc
            )
            if failures >= ATTEMPTS:
                return False
            time.sleep(RETRY_S * failures)
            continue
        failures = 0
        log.warning(
            "built pushed changes into %s: %d posts, %d passages embedded, %.1f s",
            summary.version,
            summary.posts,
            summary.embedded,
            time.monotonic() - started,
        )


_children: list[subprocess.Popen] = []


def start_applier(root: Path, quiet_s: float) -> None:
    """Start an applier process for root (it leaves at once if one is running), reaping any earlier that ended."""
    _children[:] = [child for child in _children if child.poll() is None]
    command = [sys.executable, "-m", "service.apply", str(root), "--quiet-seconds", str(quiet_s)]
    # Its own session: a Ctrl-C or a signal to the server's process group does not stop a build half way (it would
    # publish nothing, and the next start would build again, but there is no need to lose the work).
    _children.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.apply", description=__doc__)
    parser.add_argument("root", type=Path, help="the index folder")
    parser.add_argument("--quiet-seconds", type=float, default=1.0, help="wait for this long without a new change")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s applier[%(process)d] %(levelname)s %(message)s")
    return apply_pushes(args.root, max(args.quiet_seconds, 0.0))
