"""Reader for RSS 2.0, RSS 1.0 and Atom feeds, saved to disk or fetched, with feedparser; HTML bodies reduced to
text."""

from __future__ import annotations

import calendar
import re
import time
import xml.etree.ElementTree as ET
import xml.sax
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser

from index.errors import CorpusError
from index.ingest.doctype import entities_in
from index.ingest.entries import Found, Skipped
from index.ingest.htmltext import html_to_text, plain_text
from index.ingest.ids import display_name, distinct_names, post_id
from index.ingest.options import ReadOptions
from index.ingest.wordpress import is_wxr_namespace
from index.records import Post

# Elements that say an entry may not be public (WordPress's wp:status, wp:post_password, APP's app:draft): a feed
# has no such thing, and feedparser would drop their meaning, so a file carrying them is refused, never indexed.
_NOT_A_FEED = re.compile(r"^wp_|_(?:status|post_status|post_type|post_password|draft|visibility)$")


def read_feed(path: Path, options: ReadOptions) -> Iterator[Found | Skipped]:
    """Yield one post per feed entry that has text; entries without any are reported as skipped."""
    return read_feed_bytes(path.read_bytes(), str(path), path.name, options)


def read_feed_bytes(document: bytes, source: str, label: str, options: ReadOptions) -> Iterator[Found | Skipped]:
    """read_feed of a document held in memory: `source` names it in messages, `label` is its posts' source."""
    # Parse bytes, never a path or URL: given a string, feedparser may treat it as a URL and fetch it.
    parsed = feedparser.parse(_expanded(document, source))
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        message = f"not well-formed XML ({problem.getMessage()}); fix the feed"
        raise CorpusError(source, problem.getLineNumber(), message)
    if parsed.get("version", "") == "" and not parsed.entries:
        raise CorpusError(source, None, "not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> root)")
    _refuse_other_formats(parsed, source)
    feed_author = display_name(parsed.feed.get("author_detail", {}).get("name") or parsed.feed.get("author"))
    for number, entry in enumerate(parsed.entries, start=1):
        title = _text(entry.get("title_detail")) or None
        where = f"entry {number}" + (f" {title[:60]!r}" if title else "")
        body = _body(entry)
        if not body:
            yield Skipped(source, where, "no content or summary to index")
            continue
        url = entry.get("link") or None
        post = Post(
            id=post_id(url, title, body),
            title=title,
            text=body,
            author=display_name(entry.get("author_detail", {}).get("name") or entry.get("author")) or feed_author,
            url=url,
            published=_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            tags=distinct_names(t.get("term") for t in entry.get("tags", [])),
            source=label,
        )
        yield Found(post, source, where)


def _expanded(document: bytes, source: str) -> bytes:
    """The document, or with a DOCTYPE declaring entities, the same document with them expanded (feedparser's own
    handling of a DOCTYPE is line-based and refuses `<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>`)."""
    if not entities_in(document, source):
        return document
    try:
        # Safe to parse now: what entities_in allowed are short plain values.
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        line, column = exc.position
        raise CorpusError(source, line, f"not well-formed XML (column {column}: {exc.msg}); fix the feed") from None
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _refuse_other_formats(parsed: Any, source: str) -> None:
    """A file with WordPress export markers read as a feed would index its drafts and private posts."""
    export = next((uri for uri in parsed.get("namespaces", {}).values() if is_wxr_namespace(uri)), None)
    if export:
        raise CorpusError(
            source,
            None,
            f"declares the WordPress export namespace {export!r} but not on an <rss> root, as an export does; "
            "read as a feed its drafts and private posts would be indexed: export it again from WordPress "
            "(Tools → Export)",
        )
    for where, fields in [("the channel", parsed.feed)] + [(f"entry {n}", e) for n, e in enumerate(parsed.entries, 1)]:
        marker = next((key for key in fields if _NOT_A_FEED.search(key)), None)
        if marker:
            raise CorpusError(
                source,
                None,
                f"{where} has a <{marker.replace('_', ':', 1)}> element, which a feed does not have; read as a feed "
                "its unpublished entries would be indexed: give the file its own format's root and namespace (a "
                "WordPress export declares https://wordpress.org/export/1.2/ on its <rss> root)",
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
    """feedparser gives dates as UTC struct_time; an ISO 8601 date-time in UTC, or None when it has no year from
    1 to 9999 in UTC (0001-01-01T00:00:00+14:00 is in year 0)."""
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return None
