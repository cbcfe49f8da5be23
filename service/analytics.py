"""What readers search for, for the blog's editors: a query log in SQLite that never identifies a reader and never
slows or breaks a search.

A search or question adds one row to a bounded in-process buffer; a background writer moves the rows to SQLite in
batches once a second (on an OS thread, so a slow disk or a locked file holds no request). A full buffer drops the
row, counted in /metrics, and a disk that cannot be written logs one line while searching goes on. Several gunicorn
workers write to one file: SQLite's WAL mode and locking keep their batches apart.

Stored per query: the normalised text, the minute, the endpoint, how many results, the post ids of the first
results (for the clicked rank), whether an answer was shown, the latency, and a random id that the page's result
links carry (`/r/<query id>/<post id>`) so clicks can be counted. Never an address, a user agent or a cookie.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
ANALYTICS_FILE = "analytics.sqlite3"
# Rows the buffer holds at most between two flushes (a second); beyond it rows are dropped and counted.
BUFFER_ROWS = 10_000
FLUSH_EVERY_S = 1.0
RESULT_IDS = 10
MAX_QUERY_CHARS = 200
_SCHEMA = """
CREATE TABLE IF NOT EXISTS queries (
    id TEXT PRIMARY KEY,
    minute TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    query TEXT NOT NULL,
    results INTEGER NOT NULL,
    top_post TEXT,
    post_ids TEXT NOT NULL,
    answer_shown INTEGER,
    latency_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS queries_by_minute ON queries (minute);
CREATE TABLE IF NOT EXISTS clicks (
    query_id TEXT NOT NULL,
    post_id TEXT NOT NULL,
    minute TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clicks_by_minute ON clicks (minute);
"""


def normalise(query: str) -> str:
    """The query as it is counted: lower case, white space collapsed, at most MAX_QUERY_CHARS characters."""
    return " ".join(query.lower().split())[:MAX_QUERY_CHARS]


def minute(moment: datetime | None = None) -> str:
    """The time to the minute, UTC: no finer, so a row cannot be matched to one request in a server's logs."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M")


def analytics_path(config: dict[str, Any]) -> Path:
    """ANALYTICS_PATH, else analytics.sqlite3 beside the index folder (in its parent, never inside a version)."""
    if config.get("ANALYTICS_PATH"):
        return Path(config["ANALYTICS_PATH"])
    return Path(config["INDEX_DIR"]).resolve().parent / ANALYTICS_FILE


@dataclass
class Counts:
    written: int = 0
    dropped: int = 0
    failed_batches: int = 0


class QueryLog:
    """The buffer, the writer and the file. `record` and `click` never block on the disk and never raise."""

    def __init__(
        self,
        path: Path,
        retention_days: int,
        on_written: Callable[[int], None] | None = None,
        on_dropped: Callable[[int], None] | None = None,
        capacity: int = BUFFER_ROWS,
    ) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.capacity = capacity
        self.counts = Counts()
        self._on_written = on_written or (lambda n: None)
        self._on_dropped = on_dropped or (lambda n: None)
        self._rows: deque[tuple[str, tuple]] = deque()
        self._lock = threading.Lock()
        self._last_error = ""
        self._next_prune = 0.0
        self._writer: Any = None

    # The request side ---------------------------------------------------------------------------------------------

    def record(
        self,
        endpoint: str,
        query: str,
        post_ids: Sequence[str],
        answer_shown: bool | None,
        latency_ms: float,
    ) -> str:
        """Queue one query's row; its id (for the result links), whether or not the row could be kept."""
        query_id = uuid.uuid4().hex
        top = post_ids[0] if post_ids else None
        row = (
            query_id,
            minute(),
            endpoint,
            normalise(query),
            len(post_ids),
            top,
            json.dumps(list(post_ids[:RESULT_IDS])),
            None if answer_shown is None else int(answer_shown),
            round(latency_ms, 3),
        )
        self._add("queries", row)
        return query_id

    def click(self, query_id: str, post_id: str) -> None:
        self._add("clicks", (query_id[:64], post_id[:256], minute()))

    def _add(self, table: str, row: tuple) -> None:
        with self._lock:
            if len(self._rows) >= self.capacity:
                self.counts.dropped += 1
                dropped = True
            else:
                self._rows.append((table, row))
                dropped = False
        if dropped:
            self._on_dropped(1)
        self._ensure_writer()

    # The writer side ----------------------------------------------------------------------------------------------

    def _ensure_writer(self) -> None:
        """Start the flusher on first use in this process (after gunicorn's fork, never before it)."""
        if self._writer is not None and self._writer[0] == os.getpid():
            return
        with self._lock:
            if self._writer is not None and self._writer[0] == os.getpid():
                return
            self._writer = (os.getpid(), _start_flusher(self))

    def take(self) -> list[tuple[str, tuple]]:
        with self._lock:
            batch = list(self._rows)
            self._rows.clear()
        return batch

    def write(self, batch: list[tuple[str, tuple]]) -> tuple[int, int]:
        """Write one batch (on the writer's OS thread): (rows written, rows dropped). A failure drops the batch and
        logs one line (again only when the reason changes)."""
        written = dropped = 0
        if batch:
            try:
                with self._connect() as db:
                    for table in ("queries", "clicks"):
                        rows = [row for name, row in batch if name == table]
                        if rows:
                            marks = ", ".join("?" * len(rows[0]))
                            db.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", rows)
                written, self._last_error = len(batch), ""
            except (sqlite3.Error, OSError) as exc:
                dropped = len(batch)
                self.counts.failed_batches += 1
                if str(exc) != self._last_error:
                    log.error(
                        "search analytics: could not write %d rows to %s (%s); searching goes on",
                        len(batch),
                        self.path,
                        exc,
                    )
                self._last_error = str(exc)
        self._prune_if_due()
        return written, dropped

    def counted(self, written: int, dropped: int) -> None:
        """Count a batch's fate (on the thread requests run on: the metrics' locks are that thread's)."""
        self.counts.written += written
        self.counts.dropped += dropped
        if written:
            self._on_written(written)
        if dropped:
            self._on_dropped(dropped)

    def flush(self) -> None:
        """Write what is buffered now, on the calling thread (tests, and a worker that is stopping)."""
        self.counted(*self.write(self.take()))

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=5)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        return db

    def _prune_if_due(self) -> None:
        """Delete rows older than the retention, at most once a day per process."""
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + 24 * 3600
        try:
            prune(self.path, self.retention_days)
        except (sqlite3.Error, OSError) as exc:
            log.error("search analytics: could not delete old rows from %s (%s)", self.path, exc)
            self._next_prune = now + 3600


def _start_flusher(owner: QueryLog) -> object:
    """Every FLUSH_EVERY_S for the life of the process: take the buffer, write it on a real OS thread, count it.

    Under gevent a greenlet takes the batch and counts it (no lock is shared across threads) and hands the writing
    to gevent's pool of OS threads, so SQLite's waits never hold the event loop; without gevent a daemon thread does
    all three.
    """
    if "gevent.monkey" in sys.modules and sys.modules["gevent.monkey"].is_module_patched("threading"):
        import gevent

        def green_loop() -> None:
            pool = gevent.get_hub().threadpool
            while True:
                gevent.sleep(FLUSH_EVERY_S)
                owner.counted(*pool.apply(owner.write, (owner.take(),)))

        return gevent.spawn(green_loop)

    def loop() -> None:
        while True:
            time.sleep(FLUSH_EVERY_S)
            owner.counted(*owner.write(owner.take()))

    thread = threading.Thread(target=loop, name="search-analytics", daemon=True)
    thread.start()
    return thread


def prune(path: Path, retention_days: int, now: datetime | None = None) -> int:
    """Delete queries and clicks older than retention_days; how many rows went."""
    if not Path(path).exists():
        return 0
    cut = minute((now or datetime.now(UTC)) - timedelta(days=retention_days))
    with sqlite3.connect(path, timeout=5) as db:
        gone = db.execute("DELETE FROM queries WHERE minute < ?", (cut,)).rowcount
        gone += db.execute("DELETE FROM clicks WHERE minute < ?", (cut,)).rowcount
    return gone


def report(path: Path, days: int, min_count: int, limit: int = 50, now: datetime | None = None) -> dict[str, Any]:
    """What readers searched in the last `days` days: top queries, queries with no results, questions withheld, the
    click-through rate and mean clicked rank, and searches per day. A query text seen fewer than min_count times is
    never shown (one reader's query with a name in it stays private); how many such queries there were is."""
    since = minute((now or datetime.now(UTC)) - timedelta(days=days))
    empty: dict[str, Any] = {
        "days": days,
        "min_count": min_count,
        "searches": 0,
        "top_queries": [],
        "no_results": [],
        "withheld": [],
        "hidden_queries": 0,
        "clicks": 0,
        "click_through_rate": None,
        "mean_clicked_rank": None,
        "per_day": [],
    }
    if not Path(path).exists():
        return empty
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:

        def counted(where: str) -> list[dict[str, Any]]:
            rows = db.execute(
                f"SELECT query, COUNT(*) AS n FROM queries WHERE minute >= ? AND {where} GROUP BY query "
                "HAVING n >= ? ORDER BY n DESC, query LIMIT ?",
                (since, min_count, limit),
            ).fetchall()
            return [{"query": q, "count": n} for q, n in rows]

        searches = db.execute("SELECT COUNT(*) FROM queries WHERE minute >= ?", (since,)).fetchone()[0]
        hidden = db.execute(
            "SELECT COUNT(*) FROM (SELECT query FROM queries WHERE minute >= ? GROUP BY query HAVING COUNT(*) < ?)",
            (since, min_count),
        ).fetchone()[0]
        clicked = db.execute(
            "SELECT q.id, c.post_id, q.post_ids FROM clicks c JOIN queries q ON q.id = c.query_id WHERE c.minute >= ?",
            (since,),
        ).fetchall()
        per_day = db.execute(
            "SELECT substr(minute, 1, 10) AS day, COUNT(*) FROM queries WHERE minute >= ? GROUP BY day ORDER BY day",
            (since,),
        ).fetchall()
        result = {
            **empty,
            "searches": searches,
            "top_queries": counted("1"),
            "no_results": counted("results = 0"),
            "withheld": counted("answer_shown = 0"),
            "hidden_queries": hidden,
        }
    ranks = []
    for _, post_id, ids in clicked:
        listed = json.loads(ids)
        if post_id in listed:
            ranks.append(listed.index(post_id) + 1)
    result["clicks"] = len(clicked)
    result["click_through_rate"] = round(len({q for q, _, _ in clicked}) / searches, 4) if searches else None
    result["mean_clicked_rank"] = round(sum(ranks) / len(ranks), 2) if ranks else None
    result["per_day"] = [{"day": day, "searches": n} for day, n in per_day]
    return result
