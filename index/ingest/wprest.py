"""Reader for WordPress REST API dumps: the JSON array /wp-json/wp/v2/posts returns (with ?_embed for names)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from index.errors import CorpusError
from index.ingest.entries import Found, Skipped
from index.ingest.htmltext import html_to_text
from index.ingest.ids import display_name, distinct_names, iso_date, post_id
from index.ingest.options import ReadOptions
from index.ingest.wordpress import not_public
from index.records import Post


def read_wp_json(path: Path, options: ReadOptions) -> Iterator[Found | Skipped]:
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
        protected = bool(record["content"].get("protected") or record.get("password"))
        refused = not_public(_field(record, "type"), _field(record, "status"), protected, options)
        if refused:
            yield Skipped(source, where, *refused)
            continue
        text = html_to_text(_rendered(record, "content")) or html_to_text(_rendered(record, "excerpt"))
        if not text:
            yield Skipped(source, where, "empty body")
            continue
        url = record.get("link") or None
        post = Post(
            id=post_id(url, title, text),
            title=title,
            text=text,
            author=_embedded_author(record),
            url=url,
            published=_rest_date(record, source, where),
            tags=_embedded_terms(record),
            source=path.name,
        )
        yield Found(post, source, where)


def _field(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    return str(value) if value is not None else None


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


def _rest_date(record: dict[str, Any], source: str, where: str) -> str | None:
    """date_gmt is UTC without an offset; `date` is the site's local time, offset unknown."""
    try:
        if record.get("date_gmt"):
            return iso_date(str(record["date_gmt"]) + "Z", source, None)
        return iso_date(record.get("date"), source, None)
    except CorpusError as exc:
        raise CorpusError(source, None, f"{where}: {exc.problem}") from None
