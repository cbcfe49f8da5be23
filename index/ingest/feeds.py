"""Reader for RSS 2.0, RSS 1.0 and Atom feeds saved to disk, with feedparser; HTML bodies reduced to text."""

from __future__ import annotations

import calendar
import time
import xml.sax
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from index.errors import CorpusError
from index.ingest.htmltext import html_to_text, plain_text
from index.ingest.ids import display_name, distinct_names, post_id
from index.ingest.skipped import Skipped
from index.records import Post


def read_feed(path: Path) -> Iterator[Post | Skipped]:
    """Yield one post per feed entry that has text; entries without any are reported as skipped."""
    source = str(path)
    # Parse bytes, never the path: given a string, feedparser may treat it as a URL and fetch it.
    parsed = feedparser.parse(path.read_bytes())
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        message = f"not well-formed XML ({problem.getMessage()}); fix the feed"
        raise CorpusError(source, problem.getLineNumber(), message)
    if parsed.get("version", "") == "" and not parsed.entries:
        raise CorpusError(source, None, "not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> root)")
    feed_author = display_name(parsed.feed.get("author_detail", {}).get("name") or parsed.feed.get("author"))
    for number, entry in enumerate(parsed.entries, start=1):
        title = _text(entry.get("title_detail")) or None
        where = f"entry {number}" + (f" {title[:60]!r}" if title else "")
        body = _body(entry)
        if not body:
            yield Skipped(source, where, "no content or summary to index")
            continue
        url = entry.get("link") or None
        yield Post(
            id=post_id(url, title, body),
            title=title,
            text=body,
            author=display_name(entry.get("author_detail", {}).get("name") or entry.get("author")) or feed_author,
            url=url,
            published=_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            tags=distinct_names(t.get("term") for t in entry.get("tags", [])),
            source=path.name,
        )


def _body(entry: Any) -> str:
    """The fullest text the entry carries: its longest content block, else its summary."""
    texts = [_text(block) for block in entry.get("content", [])]
    texts.append(_text(entry.get("summary_detail")))
    return max(texts, key=len)


def _text(detail: Any) -> str:
    if not detail or not detail.get("value"):
        return ""
    if "html" in (detail.get("type") or ""):
        return html_to_text(detail["value"])
    return plain_text(detail["value"])


def _iso(parsed: time.struct_time | None) -> str | None:
    """feedparser gives dates as UTC struct_time; an ISO 8601 date-time in UTC."""
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
