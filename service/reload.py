"""The served index: one verified Index at a time, swapped for a new `current` without failing a request."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from gunicorn.workers.base import Worker

from index import Index, SearchError
from index.store import CURRENT, Manifest, current_version, read_manifest

log = logging.getLogger(__name__)
Opener = Callable[[Path, Index], Index]


def open_with_loaded_model(root: Path, served: Index) -> Index:
    """Open and verify the version `current` names, reusing the served index's query encoder when the weights and
    the query graph are the same (no second model load); any other version brings its own."""
    manifest = read_manifest(current_version(root))
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
    the old Index is freed when its last request ends."""

    def __init__(
        self, root: Path, index: Index, check_every: float = 1.0, opener: Opener = open_with_loaded_model
    ) -> None:
        self.root = Path(root)
        self.check_every = check_every
        self.opener = opener
        self.refused: dict[str, str] | None = None
        self._index = index
        self._reload_lock = threading.Lock()
        # A separate lock, so starting a background reload never waits for a reload in progress.
        self._start_lock = threading.Lock()
        self._next_check = time.monotonic() + check_every
        self._background: threading.Thread | None = None

    def current(self) -> Index:
        """The index to serve now; at most once per `check_every` seconds, a readlink notices a new `current`,
        which is then opened and verified on a background thread while this request goes on."""
        now = time.monotonic()
        if self.check_every > 0 and now >= self._next_check:
            self._next_check = now + self.check_every
            target = self.pointed_at()
            already_refused = self.refused is not None and self.refused["version"] == target
            if target is not None and target != self._index.folder.name and not already_refused:
                self.reload_in_background()
        return self._index

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

    def reload_in_background(self) -> threading.Thread:
        """Start a reload on its own thread unless one is already running; returns the thread doing it."""
        with self._start_lock:
            if self._background is None or not self._background.is_alive():
                self._background = threading.Thread(target=self.reload, name="index-reload", daemon=True)
                self._background.start()
            return self._background


def reload_on_sighup(served: ServedIndex) -> None:
    """Reload when the process gets SIGHUP (must be called on the main thread, e.g. in a gunicorn worker)."""

    def handle(signum: int, frame: FrameType | None) -> None:
        served.reload_in_background()

    signal.signal(signal.SIGHUP, handle)


def install_sighup_in_worker(worker: Worker) -> None:
    """gunicorn's post_worker_init hook: gunicorn resets SIGHUP to its default (exit) in workers; reload instead."""
    served = worker.wsgi.extensions["served_index"]
    reload_on_sighup(served)
