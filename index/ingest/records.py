"""Readers for posts as records: JSON Lines (one object per line) and CSV with the same columns."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from index.errors import CorpusError
from index.ingest.entries import Found
from index.ingest.ids import iso_date, post_id
from index.ingest.options import MAX_LINE_BYTES, ReadOptions, cut_text
from index.jsonl import LineError, rows
from index.records import Post

COLUMNS = ("id", "title", "text", "author", "url", "published", "tags")


def post_from_record(record: dict[str, Any], source: str, line: int) -> Post:
    """Check one record's fields and turn it into a post; any problem names the file and line."""
    if not isinstance(record, dict):
        raise CorpusError(source, line, "expected a JSON object with title and text")
    unknown = set(record) - set(COLUMNS) - {"source"}
    if unknown:
        raise CorpusError(source, line, f"unknown field(s) {sorted(unknown)}; allowed: {', '.join(COLUMNS)}")
    fields: dict[str, str | None] = {}
    for name in ("id", "title", "text", "author", "url"):
        value = record.get(name)
        if value is not None and not isinstance(value, str | int):
            raise CorpusError(source, line, f"field {name!r} must be a string")
        fields[name] = str(value).strip() if value is not None and str(value).strip() else None
    if not fields["text"]:
        raise CorpusError(source, line, "field 'text' is missing or empty; every post needs its text")
    tags = record.get("tags") or ()
    if isinstance(tags, str):
        tags = [t for t in (part.strip() for part in tags.replace(",", ";").split(";")) if t]
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise CorpusError(source, line, "field 'tags' must be a list of strings")
    return Post(
        id=fields["id"] or post_id(fields["url"], fields["title"], fields["text"] or ""),
        title=fields["title"],
        text=fields["text"] or "",
        author=fields["author"],
        url=fields["url"],
        published=iso_date(record.get("published"), source, line),
        tags=tuple(t.strip() for t in tags if t.strip()),
        source=Path(source).name,
    )


def read_jsonl(path: Path, options: ReadOptions) -> Iterator[Found]:
    source = str(path)
    try:
        for number, record in rows(path, MAX_LINE_BYTES):
            yield _found(record, source, number, options)
    except LineError as exc:
        raise CorpusError(source, exc.line, _problem(exc)) from None


def _problem(error: LineError) -> str:
    if isinstance(error.cause, json.JSONDecodeError):
        return f"not valid JSON ({error.cause.msg} at column {error.cause.colno})"
    if isinstance(error.cause, UnicodeDecodeError):
        return "not UTF-8; save the file as UTF-8"
    return (
        f"line longer than {MAX_LINE_BYTES:,} bytes; each line is one post and none is that long: "
        "check that the file has one post per line"
    )


def _found(record: Any, source: str, line: int, options: ReadOptions) -> Found:
    """The record's post, its text cut to the cap at once so a huge one is not held until the build."""
    text = record.get("text") if isinstance(record, dict) else None
    cut_from = None
    if isinstance(text, str) and len(text) > options.max_post_chars:
        cut_from = len(text)
        record["text"] = cut_text(text, options.max_post_chars)
        del text
    return Found(post_from_record(record, source, line), source, f"line {line}", line, cut_from)


def read_csv(path: Path, options: ReadOptions) -> Iterator[Found]:
    source = str(path)
    # The csv module refuses fields over 131,072 characters by default, far below the cap on a post's text.
    field_limit = csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "text" not in reader.fieldnames:
                raise CorpusError(source, 1, f"the header must name a 'text' column; columns: {', '.join(COLUMNS)}")
            for row in reader:
                if None in row:
                    raise CorpusError(source, reader.line_num, "more cells than header columns")
                yield _found({k: v for k, v in row.items() if v != ""}, source, reader.line_num, options)
    except UnicodeDecodeError:
        raise CorpusError(source, None, "not UTF-8; save the file as UTF-8") from None
    except csv.Error as exc:
        raise CorpusError(source, None, f"not valid CSV ({exc})") from None
    finally:
        csv.field_size_limit(field_limit)
