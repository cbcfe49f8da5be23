"""A persistent embedding cache keyed by (model, text sha256), so rebuilds re-embed only changes.

The model part is the encoder's `cache_key` where it has one (a graph whose vectors differ from the weights'
plain ones, like the int8 query graph's), else its weights' sha256.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import numpy as np

from index.errors import StorageError
from index.model.encoder import Encoder


def model_key(encoder: Encoder) -> str:
    """What the cache files an encoder's vectors under."""
    return getattr(encoder, "cache_key", None) or encoder.weights_sha256


class EmbeddingCache:
    """Vectors in one SQLite file; a missing or unreadable cache only costs time, never correctness."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        try:
            self.db = _open_writable(path)
        except sqlite3.DatabaseError as exc:
            problem = getattr(exc, "sqlite_errorname", "")
            if problem.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
                raise StorageError(
                    f"the embedding cache {path} cannot be written ({exc}): make it and its folder writable by the "
                    "user running the build, or delete it (it only saves embedding time). Nothing was published: "
                    "the served version is unchanged"
                ) from None
            if problem not in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                raise
            # A damaged cache costs only embedding time: set it aside (for a look) and start an empty one.
            aside = path.with_name(f"{path.name}.damaged")
            os.replace(path, aside)
            print(
                f"warning: the embedding cache {path} was damaged ({exc}); moved it to {aside} and started a new one",
                file=sys.stderr,
            )
            self.db = _open_writable(path)

    def close(self) -> None:
        self.db.close()

    def encode(
        self, encoder: Encoder, texts: list[str], batch_size: int = 32, progress: bool = False
    ) -> tuple[np.ndarray, int]:
        """Vectors for texts, embedding only those not cached; returns (vectors, how many were embedded)."""
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        model = model_key(encoder)
        found = self._lookup(model, set(keys))
        missing: dict[str, int] = {}
        for position, key in enumerate(keys):
            if key not in found:
                missing.setdefault(key, position)
        if missing:
            # Embed longest first: similar lengths in a batch waste less padding.
            order = sorted(missing.items(), key=lambda item: -len(texts[item[1]]))
            fresh = encoder.encode([texts[i] for _, i in order], batch_size=batch_size, progress=progress)
            pairs = list(zip((key for key, _ in order), fresh, strict=True))
            rows = [(model, key, vector.tobytes()) for key, vector in pairs]
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            found.update(pairs)
        vectors = np.stack([found[k] for k in keys]) if keys else np.zeros((0, encoder.dimension), np.float32)
        return np.ascontiguousarray(vectors, dtype=np.float32), len(missing)

    def _lookup(self, model: str, keys: set[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        wanted = list(keys)
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            query = f"SELECT text_sha, vector FROM vectors WHERE model = ? AND text_sha IN ({marks})"
            for key, blob in self.db.execute(query, [model, *part]):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found


def _open_writable(path: Path) -> sqlite3.Connection:
    """The cache database, after writing a row and taking it back: a read-only file or folder would otherwise fail
    the build only at its first write, after the model has loaded and embedded everything."""
    db = sqlite3.connect(path)
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_sha TEXT, vector BLOB, PRIMARY KEY (model, text_sha))"
        )
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR REPLACE INTO vectors VALUES ('', '', x'')")
        db.rollback()
    except BaseException:
        db.close()
        raise
    return db
