"""A persistent embedding cache keyed by (model, text sha256), so rebuilds re-embed only changes.

The model part is the encoder's `cache_key` where it has one (a graph whose vectors differ from the weights'
plain ones, like the int8 query graph's), else its weights' sha256. The same database keeps what else a build
derives from one text alone, keyed by (the rules that derive it, text sha256): each post's split into passages and
sentences (index/splits.py) and each passage's BM25 terms (index/terms.py), so a rebuild splits and analyses only
what changed.
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
        found = self._lookup(model, set(keys), encoder.dimension)
        missing: dict[str, int] = {}
        for position, key in enumerate(keys):
            if key not in found:
                missing.setdefault(key, position)
        if missing:
            # Embed longest first: similar lengths in a batch waste less padding.
            order = sorted(missing.items(), key=lambda item: -len(texts[item[1]]))
            fresh = encoder.encode([texts[i] for _, i in order], batch_size=batch_size, progress=progress)
            vectors = np.ascontiguousarray(fresh, dtype=np.float32)
            rows = [(model, key, vector.tobytes()) for (key, _), vector in zip(order, vectors, strict=True)]
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            found.update((key, blob) for _, key, blob in rows)
        # One copy of the joined rows: stacking 94,000 separate arrays took a third of a second.
        joined = np.frombuffer(b"".join(found[key] for key in keys), dtype=np.float32)
        return joined.reshape(len(keys), encoder.dimension).copy(), len(missing)

    def derived(self, rules: str, keys: set[str]) -> dict[str, bytes]:
        """What these rules derived from the texts with these keys (text sha256), where stored."""
        return dict(self._rows("SELECT text_sha, value FROM derived WHERE rules = ? AND text_sha IN", rules, keys))

    def store_derived(self, rules: str, values: dict[str, bytes]) -> None:
        with self.db:
            rows = [(rules, key, value) for key, value in values.items()]
            self.db.executemany("INSERT OR REPLACE INTO derived VALUES (?, ?, ?)", rows)

    def _lookup(self, model: str, keys: set[str], dimension: int) -> dict[str, bytes]:
        """The stored vectors (float32 bytes) of these keys; one of another length (damaged) counts as missing."""
        query = "SELECT text_sha, vector FROM vectors WHERE model = ? AND text_sha IN"
        return {key: blob for key, blob in self._rows(query, model, keys) if len(blob) == 4 * dimension}

    def _rows(self, query: str, owner: str, keys: set[str]) -> list[tuple[str, bytes]]:
        """The (key, blob) rows a `... WHERE <owner column> = ? AND <key column> IN` query finds for these keys."""
        found: list[tuple[str, bytes]] = []
        wanted = list(keys)
        for chunk in range(0, len(wanted), 500):
            part = wanted[chunk : chunk + 500]
            found.extend(self.db.execute(f"{query} ({','.join('?' * len(part))})", [owner, *part]))
        return found


def _open_writable(path: Path) -> sqlite3.Connection:
    """The cache database, after writing a row and taking it back: a read-only file or folder would otherwise fail
    the build only at its first write, after the model has loaded and embedded everything."""
    db = sqlite3.connect(path)
    try:
        db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, text_sha TEXT, vector BLOB, PRIMARY KEY (model, text_sha))"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS derived (rules TEXT, text_sha TEXT, value BLOB, PRIMARY KEY (rules, text_sha))"
        )
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR REPLACE INTO vectors VALUES ('', '', x'')")
        db.rollback()
    except BaseException:
        db.close()
        raise
    return db
