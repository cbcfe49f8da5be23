"""The on-disk layout: version folders with a checksummed manifest, and an atomically flipped `current`."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.errors import IndexFormatError, StorageError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CURRENT = "current"
BUILD_PREFIX = ".building-"
POSTS_FILE = "posts.jsonl"
PASSAGES_FILE = "passages.jsonl"
VECTORS_FILE = "vectors.faiss"
# The int8 copy of an exact index's passage vectors in a small scoring graph (index/vectors.py).
SCAN_FILE = "vectors-int8.onnx"
# Every passage's sentence offsets and int8 vectors (index/sentence_vectors.py).
SENTENCES_FILE = "sentences.npz"
# The exported model and the int8 query model the service embeds queries with (index/model/export.py).
ONNX_FILE = "model.onnx"
QUERY_FILE = "model.int8.onnx"
# The file beside a model that holds its external tensors; onnxruntime finds it by the name stored in the model.
EXTERNAL_DATA_SUFFIX = ".data"
LEXICAL_DIR = "lexical"
# bm25s's saved parameters, vocabulary and CSC score matrix: what LexicalIndex.load reads from LEXICAL_DIR.
LEXICAL_FILES = (
    "params.index.json",
    "vocab.index.json",
    "data.csc.index.npy",
    "indices.csc.index.npy",
    "indptr.csc.index.npy",
)
# What Index.open reads from every version, as the manifest names it. The other files it reads depend on the version
# (a query model, the int8 scan of an exact index, the sentence table of a version built since they were stored) and
# are read only where the manifest lists them; verify() refuses a version missing any of these from its manifest and
# any file in the folder the manifest does not list, so nothing a reader opens goes unchecked.
REQUIRED_FILES = (POSTS_FILE, PASSAGES_FILE, VECTORS_FILE, *(f"{LEXICAL_DIR}/{name}" for name in LEXICAL_FILES))
CACHE_FILE = Path("cache") / "embeddings.sqlite"
# Under the index root, beside the embedding cache: one export per weights sha256, shared by every version.
MODEL_CACHE_DIR = Path("cache") / "models"
# Held (flock) by a build or a rollback for all it does, so two never publish and prune under one root at once.
LOCK_FILE = ".build.lock"
# What failing to write a path means here: no permission, an immutable file, a read-only mount.
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


@dataclass
class Manifest:
    """What a version holds and how to check it: every file with its size and sha256."""

    format_version: int
    version: str
    model_id: str
    model_sha256: str
    dimension: int
    posts: int
    passages: int
    corpus_sha256: str
    built_at: str
    faiss_index: str
    settings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def new_version_name() -> str:
    return datetime.now(UTC).strftime("v%Y%m%dT%H%M%S%fZ")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def start_version(root: Path) -> Path:
    """A fresh hidden folder beside the published versions to build into, after clearing dead builds' leftovers."""
    root.mkdir(parents=True, exist_ok=True)
    clean_leftovers(root)
    folder = root / f"{BUILD_PREFIX}{new_version_name()}-{os.getpid()}"
    folder.mkdir()
    return folder


def seal_version(folder: Path, manifest: Manifest) -> None:
    """Checksum every file, write the manifest last, and flush it all to disk."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        _fsync(path)
        manifest.files[str(path.relative_to(folder))] = {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
    target = folder / MANIFEST
    target.write_text(json.dumps(manifest.to_json(), indent=2, sort_keys=True), encoding="utf-8")
    _fsync(target)
    _fsync(folder)


def publish(root: Path, building: Path, version: str) -> Path:
    """Rename the sealed build into place, then repoint `current` with one atomic rename."""
    final = root / version
    os.replace(building, final)
    _fsync(root)
    try:
        point_current(root, version)
    except BaseException:
        discard(final)
        raise
    return final


def point_current(root: Path, version: str) -> None:
    """Make `current` name the version: a new symlink renamed over the old one, so readers see one or the other."""
    pointer = root / f".{CURRENT}.{os.getpid()}"
    if pointer.is_symlink() or pointer.exists():
        pointer.unlink()
    pointer.symlink_to(version)
    os.replace(pointer, root / CURRENT)
    _fsync(root)


def clean_leftovers(root: Path) -> list[Path]:
    """Remove build folders and pointer files left by builds that died (SIGKILL, power loss); returns them."""
    removed = []
    for path in root.glob(".*"):
        if path.name.startswith(BUILD_PREFIX) or path.name.startswith(f".{CURRENT}."):
            pid = path.name.rsplit("-" if path.name.startswith(BUILD_PREFIX) else ".", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                if path.is_dir() and not path.is_symlink():
                    discard(path)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def out_of_space(exc: BaseException) -> bool:
    """Whether a failure means the disk (or quota, or file-size limit) is full."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)


def out_of_space_error(root: Path, exc: BaseException) -> StorageError:
    return StorageError(
        f"no space left to write the index under {root} ({exc}); free disk space and build again. "
        "Nothing was published: the served version is unchanged"
    )


def storage_error(root: Path, exc: BaseException) -> StorageError | None:
    """The StorageError that a failure while writing under root amounts to (a full disk, a path that cannot be
    written), or None when it is something else."""
    if out_of_space(exc):
        return out_of_space_error(root, exc)
    if isinstance(exc, OSError) and exc.errno in _NOT_WRITABLE:
        return StorageError(
            f"cannot write {exc.filename or root} ({exc.strerror}): the index folder {root} and everything in it "
            "must be writable by the user running the build; fix that, or build into a folder you can write "
            "(`--out DIR`). Nothing was published: the served version is unchanged"
        )
    return None


# The roots whose build lock this thread holds (build_lock is re-entrant per thread).
_held_locks = threading.local()


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold root's build lock for the block, making root first if need be: one build or rollback at a time.

    A second build waits for the first rather than refusing: each was started to publish a corpus (by hand, by a
    schedule), and waiting costs only time, where a refusal would leave the operator to run it again once the other
    is done. It says whom it waits for. The kernel lets go of a flock when its holder dies, even by SIGKILL, so a
    dead build never blocks the next.

    Re-entrant on one thread: a caller that holds it (reading the served posts, then building on them, as the push
    journal does) may call build(), which takes it again, without waiting for itself.
    """
    key = str(Path(root).resolve())
    held = _held_locks.__dict__.setdefault("roots", set())
    if key in held:
        yield
        return
    fd = _open_lock(root)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            print(
                f"waiting for another build of {root} to finish (pid {holder}, holding {root / LOCK_FILE})",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(fd, fcntl.LOCK_EX)
        _write_holder(fd, f"{os.getpid()}\n")
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            _write_holder(fd, "")
    finally:
        os.close(fd)


def _open_lock(root: Path) -> int:
    """root's lock file, open for reading and writing (made if missing); StorageError when root cannot hold it."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        return os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    except (FileExistsError, NotADirectoryError):
        file = next((p for p in (root, *root.parents) if p.exists() and not p.is_dir()), root)
        raise StorageError(
            f"{root} cannot be the index folder: {file} is not a folder; build into a folder, new or one that holds "
            "index versions (`--out DIR`)"
        ) from None
    except OSError as exc:
        if exc.errno not in _NOT_WRITABLE:
            raise
        raise StorageError(
            f"the index folder {root} is not writable ({exc.strerror}); make it writable by the user running the "
            "build, or build into a folder you can write (`--out DIR`). Nothing was published: the served version "
            "is unchanged"
        ) from None


def _write_holder(fd: int, text: str) -> None:
    """Who holds the lock (a pid), for a build that has to wait to name; only that, so a lock file that cannot be
    written (its folder made read-only since) is no failure of its own: what the build writes next says so."""
    with suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode("ascii"), 0)


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def current_version(root: Path) -> Path:
    """The folder `current` points at; tells how to build one when there is none."""
    pointer = root / CURRENT
    if (root / MANIFEST).is_file():
        return root
    if not pointer.exists():
        raise IndexFormatError(
            f"no index at {root} (no '{CURRENT}' pointer); build one with "
            f"`python scripts/build_index.py --out {root}` (or `make index`)"
        )
    return pointer.resolve()


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except FileNotFoundError:
        raise IndexFormatError(f"{folder} has no {MANIFEST}: it is half-written; rebuild the index") from None
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as exc:
        raise IndexFormatError(f"{path} is unreadable ({exc}); rebuild the index") from None
    if manifest.format_version != FORMAT_VERSION:
        raise IndexFormatError(
            f"{folder} is index format {manifest.format_version}; this code reads format {FORMAT_VERSION}: rebuild"
        )
    return manifest


def verify(folder: Path) -> Manifest:
    """Check the version against its manifest, refusing it on any mismatch: the manifest lists every file the
    reader needs (REQUIRED_FILES) and every file in the folder, and each listed file has its size and sha256."""
    manifest = read_manifest(folder)
    unlisted = [name for name in REQUIRED_FILES if name not in manifest.files]
    if unlisted:
        raise IndexFormatError(
            f"{folder / MANIFEST} does not list {', '.join(unlisted)}: the version is incomplete or was tampered "
            "with; rebuild the index"
        )
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if name not in manifest.files and name != MANIFEST and not path.is_dir():
            # A version never changes once sealed: a file it does not list was added later (an edited file whose
            # entry was dropped, an editor's backup), and a reader must not find it there unchecked.
            raise IndexFormatError(
                f"{path} is not listed in {folder / MANIFEST}: the version was tampered with or a stray file was "
                "left in it; delete the file, or rebuild the index"
            )
    for name, expected in manifest.files.items():
        path = folder / name
        if not path.is_file():
            raise IndexFormatError(f"{path} is missing; the version is incomplete: rebuild the index")
        if path.stat().st_size != expected["bytes"]:
            raise IndexFormatError(f"{path} has {path.stat().st_size} bytes, not {expected['bytes']}: rebuild")
        if sha256_of(path) != expected["sha256"]:
            raise IndexFormatError(f"{path} fails its sha256 check (corrupted); rebuild the index")
    return manifest


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def versions(root: Path) -> list[Path]:
    """Published versions, oldest first."""
    return sorted(p for p in root.glob("v*") if p.is_dir() and (p / MANIFEST).is_file())


def rollback(root: Path) -> tuple[Path, Path, list[str]]:
    """Point `current` at the newest intact version older than the served one: (from, to, refused versions).

    Under the build lock, so it waits for a running build: that build's prune could otherwise delete the version
    this points `current` at.
    """
    current_version(root)  # no index: say so before making anything under root
    try:
        with build_lock(root):
            return _rollback(root)
    except OSError as exc:
        error = storage_error(root, exc)
        if error is None:
            raise
        raise error from exc


def _rollback(root: Path) -> tuple[Path, Path, list[str]]:
    serving = current_version(root)
    refused = []
    for candidate in reversed([v for v in versions(root) if v.name < serving.name]):
        try:
            verify(candidate)
        except IndexFormatError as exc:
            refused.append(f"{candidate.name}: {exc}")
            continue
        point_current(root, candidate.name)
        return serving, candidate, refused
    raise IndexFormatError(
        f"no intact version older than {serving.name} under {root} to roll back to"
        + (f" (refused: {'; '.join(refused)})" if refused else "")
        + "; `current` is unchanged"
    )


def prune(root: Path, keep: int) -> None:
    """Delete all but the newest `keep` versions, never the one `current` points at."""
    serving = (root / CURRENT).resolve()
    for folder in versions(root)[:-keep] if keep > 0 else []:
        if folder.resolve() != serving:
            shutil.rmtree(folder, ignore_errors=True)


def verify_current(root: Path) -> Manifest:
    """The manifest of the version `current` points at, after checking every file of it."""
    return verify(current_version(root))
