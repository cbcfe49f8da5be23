"""Reader for WordPress exports (WXR, Tools → Export): published posts only, one item in memory at a time."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from index.errors import CorpusError
from index.ingest.doctype import internal_entities
from index.ingest.entries import Found, Skipped
from index.ingest.htmltext import html_to_text
from index.ingest.ids import display_name, distinct_names, iso_date, post_id
from index.ingest.options import ReadOptions
from index.records import Post

# The export namespace in any scheme (wordpress.org writes http://, WordPress.com https://) and any version.
_WXR_NAMESPACE = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?(?://)?(?:www\.)?wordpress\.org/export(?:/\d+(?:\.\d+)*)?/?", re.I)
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
NO_DATE = "0000-00-00 00:00:00"
PUBLISHED = "publish"


def is_wxr_namespace(uri: str) -> bool:
    """Whether a namespace URI is WordPress's export namespace (not its excerpt namespace, which lies below it)."""
    return bool(_WXR_NAMESPACE.fullmatch(uri.strip()))


def read_wxr(path: Path, options: ReadOptions) -> Iterator[Found | Skipped]:
    """Published posts of a WXR export (and pages, when asked for); every other item is skipped, with why."""
    source = str(path)
    internal_entities(path)  # refuses external and nested entities; ElementTree expands the internal ones itself
    # dc:creator is a login; readers see the display name the export lists under <wp:author>, before the items.
    display_names: dict[str | None, str | None] = {}
    number = 0
    for element in _channel_children(path, source):
        if _wp(element) == "author":
            fields = _wp_fields(element)
            display_names[fields.get("author_login")] = display_name(fields.get("author_display_name"))
        elif element.tag == "item":
            number += 1
            yield _item(element, number, display_names, source, path.name, options)


def _channel_children(path: Path, source: str) -> Iterator[ET.Element]:
    """Each child of <rss><channel> once it is complete, then dropped, so the export is never held whole."""
    depth, channel = 0, None
    try:
        for event, element in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 2 and element.tag == "channel":
                    channel = element
                continue
            depth -= 1
            if depth == 2 and channel is not None:
                yield element
                channel.remove(element)
    except ET.ParseError as exc:
        line, column = exc.position
        raise CorpusError(source, line, f"not well-formed XML (column {column}: {exc.msg}); fix the export") from None
    if channel is None:
        raise CorpusError(source, None, "a WordPress export has an <rss><channel>; this file has none")


def _item(
    item: ET.Element,
    number: int,
    display_names: dict[str | None, str | None],
    source: str,
    name: str,
    options: ReadOptions,
) -> Found | Skipped:
    fields = _wp_fields(item)
    title = html_to_text(item.findtext("title") or "") or None
    where = f"item {number}" + (f" {title[:60]!r}" if title else "")
    refused = not_public(fields.get("post_type"), fields.get("status"), bool(fields.get("post_password")), options)
    if refused:
        return Skipped(source, where, *refused)
    text = html_to_text(item.findtext(CONTENT) or "")
    if not text:
        return Skipped(source, where, "empty body")
    url = (item.findtext("link") or "").strip() or None
    try:
        published = _wxr_date(fields, source)
    except CorpusError as exc:
        raise CorpusError(source, None, f"{where}: {exc.problem}") from None
    post = Post(
        id=post_id(url, title, text),
        title=title,
        text=text,
        author=display_names.get((item.findtext(CREATOR) or "").strip()),
        url=url,
        published=published,
        tags=distinct_names(c.text for c in item.findall("category")),
        source=name,
    )
    return Found(post, source, where)


def not_public(post_type: str | None, status: str | None, protected: bool, options: ReadOptions) -> tuple[str, ...]:
    """Why an item is not indexed, as (reason, detail), or () for a published post (a page with include_pages).

    Anything unstated counts against the item: only what says it is published and public is indexed."""
    wanted = ("post", "page") if options.include_pages else ("post",)
    if post_type not in wanted:
        if post_type == "page":
            return ("post type 'page'", "pages are indexed only with --include-pages")
        return (f"post type {post_type!r}" if post_type else "no post type", "only posts are indexed")
    if status != PUBLISHED:
        return (f"status {status!r}" if status else "no status", "only published posts are indexed")
    if protected:
        return ("password-protected",)
    return ()


def _wp(element: ET.Element) -> str | None:
    """The local name of an element in the WXR namespace (any scheme, any version), else None."""
    if not element.tag.startswith("{"):
        return None
    namespace, _, local = element.tag[1:].partition("}")
    return local if is_wxr_namespace(namespace) else None


def _wp_fields(element: ET.Element) -> dict[str, str]:
    return {name: (child.text or "").strip() for child in element if (name := _wp(child))}


def _wxr_date(fields: dict[str, str], source: str) -> str | None:
    """post_date_gmt is UTC; a draft's is all zeros, and then the local post_date (no offset known) is used."""
    if fields.get("post_date_gmt", NO_DATE) != NO_DATE:
        return iso_date(fields["post_date_gmt"].replace(" ", "T") + "Z", source, None)
    if fields.get("post_date", NO_DATE) != NO_DATE:
        return iso_date(fields["post_date"].replace(" ", "T"), source, None)
    return None
