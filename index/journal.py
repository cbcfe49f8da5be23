"""Pushed changes (a CMS's `PUT`/`DELETE /admin/posts/<id>`): a durable journal beside the index versions, and the
incremental build that applies it.

The journal is a SQLite file under the index root (WAL, synchronous=FULL): a change is on disk when record()
returns, so a server that answers 202 after it loses nothing if it dies a moment later. Every build of the root,
from pushes or from sources, lays the latest change of each pushed post over its posts, so a rebuild from an export
or a folder does not undo what a CMS pushed since; the changes it built in are then marked applied.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index import store
from index.build import BuildSettings, BuildSummary, build
from index.errors import CorpusError, IndexFormatError
from index.ingest.ids import normalise_url
from index.ingest.options import MAX_POST_CHARS, cut_text
from index.ingest.published import in_future
from index.ingest.records import COLUMNS, post_from_record
from index.records import Post

JOURNAL_FILE = "pushed.sqlite3"
PUT, DELETE = "put", "delete"
# What a post id in a URL may be: what a CMS uses (a number, a slug, a path-free name), and nothing that could
# reach a log or a file name as something else.
MAX_ID_CHARS = 200
# The source pushed posts carry (Post.source), shown in results as for any other source.
PUSHED_SOURCE = "push"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
    post TEXT,
    url TEXT,
    received_at TEXT NOT NULL,
    applied_version TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS changes_by_post ON changes (post_id, seq);
CREATE INDEX IF NOT EXISTS changes_pending ON changes (applied_version, seq);
"""


@dataclass(frozen=True)
class Change:
    """One accepted change: `put` with the post, or `delete`; applied_version is None while it waits for a build."""

    seq: int
    post_id: str
    op: str
    post: Post | None
    # The post's URL: a put's own, or for a delete the one given or last put; the overlay also drops any other post
    # with this URL (the same post read from an export or a feed, under the id a reader made from its URL).
    url: str | None
    received_at: str
    applied_version: str | None
    error: str | None

    @property
    def pending(self) -> bool:
        return self.applied_version is None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "op": self.op,
            "url": self.url,
            "received_at": self.received_at,
            "applied_version": self.applied_version,
            "error": self.error,
        }


def checked_id(post_id: str) -> str:
    """A post id from a URL: 1 to MAX_ID_CHARS printable characters, no slash, no white space at either end."""
    if not post_id or len(post_id) > MAX_ID_CHARS:
        raise CorpusError("push", None, f"a post id is 1 to {MAX_ID_CHARS} characters, not {len(post_id)}")
    if post_id != post_id.strip() or "/" in post_id or not post_id.isprintable():
        raise CorpusError("push", None, "a post id has no slash, no control characters and no surrounding spaces")
    return post_id


def pushed_post(post_id: str, body: Any, now: datetime | None = None) -> Post:
    """The post a `PUT /admin/posts/<id>` body describes (the JSON Lines fields), checked as a corpus line is.

    The id comes from the URL (a body `id` must agree). A post dated in the future is refused, as the readers skip
    one: it would be public before its time. A text over the build's cap is cut, as the readers cut it.
    """
    checked_id(post_id)
    if not isinstance(body, dict):
        raise CorpusError("push", None, f"the body must be a JSON object with the fields {', '.join(COLUMNS)}")
    if "id" in body and str(body["id"]) != post_id:
        raise CorpusError("push", None, f"the body's id {str(body['id'])[:80]!r} is not the URL's {post_id!r}")
    record = {**body, "id": post_id}
    text = record.get("text")
    if isinstance(text, str) and len(text) > MAX_POST_CHARS:
        record["text"] = cut_text(text, MAX_POST_CHARS)
    post = post_from_record(record, "push", 1)
    if in_future(post.published, now or datetime.now(UTC)):
        raise CorpusError(
            "push",
            None,
            f"published {post.published} is in the future: a scheduled post is pushed when it is published",
        )
    return Post(**{**post.to_json(), "tags": post.tags, "source": PUSHED_SOURCE})


class Journal:
    """The changes pushed to one index root, oldest first. Safe to use from several processes at once (SQLite's
    locking); one connection per instance, so one instance per thread."""

    def __init__(self, root: Path, create: bool = True) -> None:
        self.path = Path(root) / JOURNAL_FILE
        if not create and not self.path.exists():
            raise FileNotFoundError(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk (WAL synced) before it returns, so an answered push survives a power cut.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexFormatError(
                f"{self.path} is not a readable push journal ({exc}); move it aside to start a new one (changes in "
                "it that were not yet built are lost)"
            ) from exc

    @classmethod
    def existing(cls, root: Path) -> Journal | None:
        """The root's journal, or None when nothing was ever pushed to it (no file is made)."""
        return cls(root) if (Path(root) / JOURNAL_FILE).exists() else None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, post_id: str, post: Post | None, url: str | None = None) -> Change:
        """Store a change durably and return it: a post to put, or None to delete (url: the deleted post's address,
        when the caller knows it; else the one it was last put with)."""
        op = PUT if post is not None else DELETE
        body = json.dumps(post.to_json(), ensure_ascii=False) if post is not None else None
        received = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction():
            if post is not None:
                url = post.url
            elif not url:
                row = self._db.execute(
                    "SELECT url FROM changes WHERE post_id = ? AND url IS NOT NULL ORDER BY seq DESC LIMIT 1",
                    (post_id,),
                ).fetchone()
                url = row[0] if row else None
            cursor = self._db.execute(
                "INSERT INTO changes (post_id, op, post, url, received_at) VALUES (?, ?, ?, ?, ?)",
                (checked_id(post_id), op, body, url or None, received),
            )
        return Change(cursor.lastrowid or 0, post_id, op, post, url or None, received, None, None)

    def latest(self, post_id: str) -> Change | None:
        row = self._db.execute(
            "SELECT * FROM changes WHERE post_id = ? ORDER BY seq DESC LIMIT 1", (post_id,)
        ).fetchone()
        return _change(row) if row else None

    def pending(self) -> list[Change]:
        rows = self._db.execute("SELECT * FROM changes WHERE applied_version IS NULL ORDER BY seq").fetchall()
        return [_change(row) for row in rows]

    def last_seq(self) -> int:
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])

    def latest_changes(self, up_to: int) -> list[Change]:
        """The last change of every post pushed, up to change up_to, in the order they came."""
        rows = self._db.execute(
            "SELECT * FROM changes WHERE seq IN (SELECT MAX(seq) FROM changes WHERE seq <= ? GROUP BY post_id) "
            "ORDER BY seq",
            (up_to,),
        ).fetchall()
        return [_change(row) for row in rows]

    def mark_applied(self, up_to: int, version: str) -> int:
        """Mark every change up to up_to that was waiting as built into version; how many were."""
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE changes SET applied_version = ?, error = NULL WHERE applied_version IS NULL AND seq <= ?",
                (version, up_to),
            )
        return cursor.rowcount

    def mark_failed(self, up_to: int, error: str) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE changes SET error = ? WHERE applied_version IS NULL AND seq <= ?", (error[:2000], up_to)
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


def _change(row: tuple) -> Change:
    seq, post_id, op, body, url, received, applied, error = row
    post = Post.from_json(json.loads(body)) if body else None
    return Change(seq, post_id, op, post, url, received, applied, error)


def overlay(posts: list[Post], changes: list[Change]) -> list[Post]:
    """posts with each change laid over them in order: a put adds or replaces its post, a delete removes it. Either
    also removes another post with the change's URL: a CMS pushes under its own id (WordPress's number) a post that
    an export or feed gave under an id made from its URL, and one post must not be indexed twice."""
    by_id = {post.id: post for post in posts}
    by_url = {normalise_url(post.url): post.id for post in posts if post.url}
    for change in changes:
        if change.url:
            other = by_url.pop(normalise_url(change.url), None)
            if other is not None and other != change.post_id:
                by_id.pop(other, None)
        if change.op == PUT and change.post is not None:
            by_id[change.post_id] = change.post
            if change.url:
                by_url[normalise_url(change.url)] = change.post_id
        else:
            by_id.pop(change.post_id, None)
    return list(by_id.values())


def current_posts(root: Path) -> list[Post]:
    """The posts of the version `current` names; none when nothing was published yet."""
    try:
        folder = store.current_version(root)
    except IndexFormatError:
        if not (Path(root) / store.CURRENT).exists():
            return []
        raise
    with (folder / store.POSTS_FILE).open(encoding="utf-8") as handle:
        return [Post.from_json(json.loads(line)) for line in handle if line.strip()]


def build_with_pushes(
    posts: list[Post] | None,
    root: Path,
    settings: BuildSettings = BuildSettings(),
    progress: bool = False,
) -> BuildSummary:
    """Build posts (None: the posts `current` serves) with every pushed change laid over them, publish, and mark
    the changes it holds applied. Under the build lock from reading to publishing, so no other build slips between.
    """
    root = Path(root)
    with store.build_lock(root):
        journal = Journal.existing(root)
        try:
            up_to = journal.last_seq() if journal else 0
            base = current_posts(root) if posts is None else posts
            merged = overlay(base, journal.latest_changes(up_to)) if journal else base
            if not merged:
                raise CorpusError(str(root), None, "no posts left to index: every post was deleted")
            try:
                summary = build(merged, root, settings=settings, progress=progress)
            except Exception as exc:
                if journal:
                    journal.mark_failed(up_to, f"{type(exc).__name__}: {exc}")
                raise
            if journal:
                journal.mark_applied(up_to, summary.version)
            return summary
        finally:
            if journal:
                journal.close()


def pushed_posts_count(root: Path) -> tuple[int, int]:
    """(posts put, posts deleted) by the root's journal, by their last change; (0, 0) when it has none."""
    journal = Journal.existing(root)
    if journal is None:
        return 0, 0
    with journal:
        changes = journal.latest_changes(journal.last_seq())
    return sum(c.op == PUT for c in changes), sum(c.op == DELETE for c in changes)


def wait_for_quiet(journal: Journal, seconds: float) -> None:
    """Sleep until no change has come for `seconds`, so a burst of saves (a CMS saving a post and its revisions)
    makes one build, not one each."""
    last = journal.last_seq()
    while seconds > 0:
        time.sleep(seconds)
        now = journal.last_seq()
        if now == last:
            return
        last = now
