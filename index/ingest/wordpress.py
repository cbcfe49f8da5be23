"""Readers for WordPress: the WXR export (Tools → Export) and post dumps from the REST API (/wp-json/wp/v2/posts)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from index.errors import CorpusError
from index.ingest.htmltext import html_to_text
from index.ingest.ids import display_name, distinct_names, iso_date, post_id
from index.ingest.skipped import Skipped
from index.records import Post

WXR_NAMESPACE = "http://wordpress.org/export/"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
NO_DATE = "0000-00-00 00:00:00"


def read_wxr(path: Path) -> Iterator[Post | Skipped]:
    """Published posts of a WXR export; drafts, private posts, pages and attachments are skipped, with why."""
    source = str(path)
    try:
        channel = ET.parse(path).getroot().find("channel")
    except ET.ParseError as exc:
        line, column = exc.position
        raise CorpusError(source, line, f"not well-formed XML (column {column}: {exc.msg}); fix the export") from None
    if channel is None:
        raise CorpusError(source, None, "a WordPress export has an <rss><channel>; this file has none")
    # dc:creator is a login; readers see the display name the export lists under <wp:author>.
    display_names = {}
    for author in channel:
        if _wp(author) == "author":
            fields = _wp_fields(author)
            display_names[fields.get("author_login")] = display_name(fields.get("author_display_name"))
    for number, item in enumerate(channel.findall("item"), start=1):
        fields = _wp_fields(item)
        title = html_to_text(item.findtext("title") or "") or None
        where = f"item {number}" + (f" {title[:60]!r}" if title else "")
        post_type, status = fields.get("post_type", "post"), fields.get("status", "publish")
        if post_type != "post":
            yield Skipped(source, where, f"post type {post_type!r}, not a post")
            continue
        if status != "publish":
            yield Skipped(source, where, f"status {status!r}: only published posts are indexed")
            continue
        if fields.get("post_password"):
            yield Skipped(source, where, "password-protected")
            continue
        text = html_to_text(item.findtext(CONTENT) or "")
        if not text:
            yield Skipped(source, where, "empty body")
            continue
        url = (item.findtext("link") or "").strip() or None
        yield Post(
            id=post_id(url, title, text),
            title=title,
            text=text,
            author=display_names.get((item.findtext(CREATOR) or "").strip()),
            url=url,
            published=_wxr_date(fields, source),
            tags=distinct_names(c.text for c in item.findall("category")),
            source=path.name,
        )


def _wp(element: ET.Element) -> str | None:
    """The local name of an element in any version of the WXR namespace (1.0, 1.1, 1.2), else None."""
    namespace, _, local = element.tag[1:].partition("}")
    return local if element.tag.startswith("{") and namespace.startswith(WXR_NAMESPACE) else None


def _wp_fields(element: ET.Element) -> dict[str, str]:
    return {name: (child.text or "").strip() for child in element if (name := _wp(child))}


def _wxr_date(fields: dict[str, str], source: str) -> str | None:
    """post_date_gmt is UTC; a draft's is all zeros, and then the local post_date (no offset known) is used."""
    if fields.get("post_date_gmt", NO_DATE) != NO_DATE:
        return iso_date(fields["post_date_gmt"].replace(" ", "T") + "Z", source, None)
    if fields.get("post_date", NO_DATE) != NO_DATE:
        return iso_date(fields["post_date"].replace(" ", "T"), source, None)
    return None


def read_wp_json(path: Path) -> Iterator[Post | Skipped]:
    """Posts of a REST API dump: the JSON array /wp-json/wp/v2/posts returns (with ?_embed for names)."""
    source = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CorpusError(source, None, "not UTF-8; save the file as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise CorpusError(source, exc.lineno, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict) or not isinstance(record.get("content"), dict):
            raise CorpusError(
                source, None, f"post {number} has no content.rendered; expected what /wp-json/wp/v2/posts returns"
            )
        title = html_to_text(_rendered(record, "title")) or None
        where = f"post {number}" + (f" {title[:60]!r}" if title else "")
        if record.get("type", "post") != "post":
            yield Skipped(source, where, f"post type {record['type']!r}, not a post")
            continue
        if record.get("status", "publish") != "publish":
            yield Skipped(source, where, f"status {record['status']!r}: only published posts are indexed")
            continue
        if record["content"].get("protected"):
            yield Skipped(source, where, "password-protected")
            continue
        text = html_to_text(_rendered(record, "content")) or html_to_text(_rendered(record, "excerpt"))
        if not text:
            yield Skipped(source, where, "empty body")
            continue
        url = record.get("link") or None
        yield Post(
            id=post_id(url, title, text),
            title=title,
            text=text,
            author=_embedded_author(record),
            url=url,
            published=_rest_date(record, source, number),
            tags=_embedded_terms(record),
            source=path.name,
        )


def _rendered(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    return str(value.get("rendered") or "") if isinstance(value, dict) else ""


def _embedded_author(record: dict[str, Any]) -> str | None:
    """`author` is a user id; only an embedded user object gives the name readers see."""
    for user in (record.get("_embedded") or {}).get("author") or []:
        if isinstance(user, dict) and user.get("id") == record.get("author"):
            return display_name(user.get("name"))
    return None


def _embedded_terms(record: dict[str, Any]) -> tuple[str, ...]:
    """Category and tag names from `_embedded["wp:term"]`; the bare `tags` field holds only ids."""
    names = [
        html_to_text(term.get("name") or "")
        for group in (record.get("_embedded") or {}).get("wp:term") or []
        for term in group
        if isinstance(term, dict) and term.get("taxonomy") in ("category", "post_tag")
    ]
    return distinct_names(names)


def _rest_date(record: dict[str, Any], source: str, number: int) -> str | None:
    """date_gmt is UTC without an offset; `date` is the site's local time, offset unknown."""
    try:
        if record.get("date_gmt"):
            return iso_date(str(record["date_gmt"]) + "Z", source, None)
        return iso_date(record.get("date"), source, None)
    except CorpusError as exc:
        raise CorpusError(source, None, f"post {number}: {exc.problem}") from None
