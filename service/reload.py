"""The served index: one verified Index at a time, swapped for a new `current` without failing a request."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from gunicorn.workers.base import Worker

from index import Index, SearchError
from index.store import CURRENT, Manifest, current_version, read_manifest
from service.errors import ApiError

log = logging.getLogger(__name__)
Opener = Callable[[Path, Index | None], Index]
# A process that cannot open the index tries again after this many seconds, doubling up to the maximum.
FIRST_RETRY_S = 1.0
MAX_RETRY_S = 60.0


def open_with_loaded_model(root: Path, served: Index | None) -> Index:
    """Open and verify the version `current` names, reusing the served index's query encoder when the weights and
    the query graph are the same (no second model load); any other version brings its own."""
    manifest = read_manifest(current_version(root))
    if served is None:
        return Index.open(root)
    if manifest.model_sha256 == served.encoder.weights_sha256 and same_query_graph(manifest, served):
        return Index.open(root, encoder=served.encoder)
    return Index.open(root)


def same_query_graph(manifest: Manifest, served: Index) -> bool:
    """Whether the new version ships the very graph file the served encoder runs (a new quantisation recipe makes
    another one). An encoder without a graph file (sentence-transformers, in tests) has nothing to compare."""
    graph = getattr(served.encoder, "model_path", None)
    if graph is None:
        return True
    running = served.manifest.files.get(Path(graph).name, {}).get("sha256")
    return running is not None and manifest.files.get(Path(graph).name, {}).get("sha256") == running


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: `reloaded`, `unchanged` or `refused` (with why), and the version served afterwards."""

    status: str
    version: str
    previous: str
    error: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"status": self.status, "version": self.version, "previous": self.previous, "error": self.error}


class ServedIndex:
    """Holds the Index requests use. A request takes a reference once and keeps it, so a swap never mixes versions;
    the old Index is freed when its last request ends.

    A process that could not open the index (a worker started after the folder was moved or the served version
    damaged in place) holds none: it answers 503 `not_ready`, says why on /readyz, and tries again with a growing
    pause, instead of exiting and being restarted in a storm while the other workers go on serving.
    """

    def __init__(
        self,
        root: Path,
        index: Index | None,
        check_every: float = 1.0,
        opener: Opener = open_with_loaded_model,
        unavailable: str | None = None,
    ) -> None:
        self.root = Path(root)
        self.check_every = check_every
        self.opener = opener
        self.refused: dict[str, str] | None = None
        self._index = index
        self.unavailable = unavailable if index is None else None
        self._retry_s = FIRST_RETRY_S
        self._next_retry = time.monotonic() + self._retry_s
        self._reload_lock = threading.Lock()
        # A separate lock, so starting a background reload never waits for a reload in progress.
        self._start_lock = threading.Lock()
        self._next_check = time.monotonic() + check_every
        self._background: threading.Thread | _PoolThread | None = None

    def available(self) -> Index | None:
        """The index being served, or None while this process has none (then a retry may start)."""
        if self._index is None and time.monotonic() >= self._next_retry:
            self.reload_in_background()
        return self._index

    def current(self) -> Index:
        """The index to serve now; at most once per `check_every` seconds, a readlink notices a new `current`,
        which is then opened and verified on a background thread while this request goes on."""
        index = self.available()
        if index is None:
            raise ApiError(
                503,
                "not_ready",
                "this server process cannot open the index yet and is retrying; try again shortly",
                headers={"Retry-After": str(int(self._retry_s))},
            )
        now = time.monotonic()
        if self.check_every > 0 and now >= self._next_check:
            self._next_check = now + self.check_every
            target = self.pointed_at()
            already_refused = self.refused is not None and self.refused["version"] == target
            if target is not None and target != index.folder.name and not already_refused:
                self.reload_in_background()
        return index

    def pointed_at(self) -> str | None:
        """The version name `current` holds, or None when the root is a version folder itself (nothing to follow)."""
        try:
            return Path(os.readlink(self.root / CURRENT)).name
        except OSError:
            return None

    def reload(self) -> ReloadOutcome:
        """Open the version `current` names and swap it in; a version that fails verification is refused and the
        one being served stays."""
        with self._reload_lock:
            served = self._index
            if served is None:
                return self._first_open()
            try:
                if current_version(self.root).resolve() == served.folder.resolve():
                    return ReloadOutcome("unchanged", served.version, served.version)
                fresh = self.opener(self.root, served)
            except SearchError as exc:
                self.refused = {"version": self.pointed_at() or str(self.root), "error": str(exc)}
                log.error("refused to reload %s, still serving %s: %s", self.root, served.version, exc)
                return ReloadOutcome("refused", served.version, served.version, str(exc))
            self._index = fresh
            self.refused = None
            log.warning("now serving index version %s (was %s)", fresh.version, served.version)
            return ReloadOutcome("reloaded", fresh.version, served.version)

    def _first_open(self) -> ReloadOutcome:
        """Try to open an index in a process that has none; one log line when the reason changes, not per try."""
        try:
            fresh = self.opener(self.root, None)
        except SearchError as exc:
            self._retry_s = min(MAX_RETRY_S, self._retry_s * 2)
            self._next_retry = time.monotonic() + self._retry_s
            if str(exc) != self.unavailable:
                log.error("pid %d still cannot open the index, for another reason now: %s", os.getpid(), exc)
            self.unavailable = str(exc)
            return ReloadOutcome("refused", "", "", str(exc))
        self._index, self.unavailable = fresh, None
        log.warning("pid %d opened index version %s and is serving it", os.getpid(), fresh.version)
        return ReloadOutcome("reloaded", fresh.version, "")

    def reload_in_background(self) -> None:
        """Start a reload on its own OS thread unless one is already running."""
        with self._start_lock:
            if self._background is None or not self._background.is_alive():
                self._background = os_thread(self.reload, "index-reload")


class _PoolThread:
    """A job on gevent's pool of OS threads, seen as a thread (is_alive, join)."""

    def __init__(self, target: Callable[[], object]) -> None:
        import gevent

        self.result = gevent.get_hub().threadpool.spawn(target)

    def is_alive(self) -> bool:
        return not self.result.ready()

    def join(self, timeout: float | None = None) -> None:
        self.result.wait(timeout)


def os_thread(target: Callable[[], object], name: str) -> threading.Thread | _PoolThread:
    """Run target on a real OS thread, started now. In a gevent worker threading.Thread is a greenlet, and opening an
    index (seconds of checksums and loading) on it would hold every request of the process until it finished."""
    if "gevent.monkey" in sys.modules and sys.modules["gevent.monkey"].is_module_patched("threading"):
        return _PoolThread(target)
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


def reload_on_sighup(served: ServedIndex) -> None:
    """Reload when the process gets SIGHUP (must be called on the main thread, e.g. in a gunicorn worker)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        served.reload_in_background()

    signal.signal(signal.SIGHUP, handle)


def install_sighup_in_worker(worker: Worker) -> None:
    """gunicorn's post_worker_init hook: gunicorn resets SIGHUP to its default (exit) in workers; reload instead."""
    served = worker.wsgi.extensions["served_index"]
    reload_on_sighup(served)
