"""What scripts/sync.py remembers between passes, in one JSON file under the index root written atomically: each
source's posts (a feed's accumulated, as it shows only its latest) and validators, and what it last built."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index import store
from index.errors import IndexFormatError, SearchError
from index.records import Post

STATE_FILE = "sync-state.json"
STATE_FORMAT = 1
LOCK_FILE = ".sync.lock"
# A feed lists only its latest entries, so the posts that fell off it are kept; a folder or file lists them all.
FEED, COMPLETE = "feed", "complete"


class SyncBusyError(SearchError):
    """Another sync holds the index root."""


@dataclass
class SourceState:
    kind: str
    posts: list[Post]
    etag: str | None = None
    last_modified: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "posts": [post.to_json() for post in self.posts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceState:
        posts = [Post.from_json(post) for post in data["posts"]]
        return cls(data["kind"], posts, data.get("etag"), data.get("last_modified"))


@dataclass
class SyncState:
    """Sources by key (a URL as given, a path made absolute), and the posts of the last version sync built, as a
    digest per post id (None before its first pass: the served version's posts stand in)."""

    sources: dict[str, SourceState] = field(default_factory=dict)
    built: dict[str, str] | None = None
    built_version: str | None = None


def post_digest(post: Post) -> str:
    return hashlib.sha256(json.dumps(post.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def load_state(root: Path) -> SyncState:
    path = root / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SyncState()
    except (OSError, ValueError) as exc:
        raise IndexFormatError(f"{path} is unreadable ({exc}); move it aside and sync starts afresh") from None
    if data.get("format") != STATE_FORMAT:
        raise IndexFormatError(f"{path} is sync state format {data.get('format')!r}, not {STATE_FORMAT}; move it aside")
    try:
        sources = {key: SourceState.from_json(value) for key, value in data["sources"].items()}
    except (KeyError, TypeError) as exc:
        raise IndexFormatError(f"{path} is damaged ({exc!r}); move it aside and sync starts afresh") from None
    return SyncState(sources, data.get("built"), data.get("built_version"))


def save_state(root: Path, state: SyncState) -> None:
    """Write the state beside it, flush it, and rename it over the old one: a crash leaves the old or the new. A full
    disk or a folder that cannot be written is a StorageError (the pass fails; the next one tries again)."""
    try:
        _save_state(root, state)
    except OSError as exc:
        error = store.storage_error(root, exc)
        if error is None:
            raise
        raise error from exc


def _save_state(root: Path, state: SyncState) -> None:
    root.mkdir(parents=True, exist_ok=True)
    data = {
        "format": STATE_FORMAT,
        "built_version": state.built_version,
        "built": state.built,
        "sources": {key: source.to_json() for key, source in state.sources.items()},
    }
    temporary = root / f".{STATE_FILE}.{os.getpid()}.tmp"
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, root / STATE_FILE)
    finally:
        temporary.unlink(missing_ok=True)
    folder = os.open(root, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@contextmanager
def sync_lock(root: Path) -> Iterator[None]:
    """One sync per index root, for as long as it runs: a second is refused at once, naming the first."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        error = store.storage_error(root, exc)
        if error is None:
            raise
        raise error from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise SyncBusyError(
                f"another sync of {root} is running (pid {holder}); stop it first, or give this one another --out"
            ) from None
        with suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)
