"""Reader for markdown files with front matter, as Hugo, Zola, Jekyll and the Go blog write them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin

from index.errors import CorpusError
from index.ingest.entries import Found, Skipped
from index.ingest.frontmatter import split_front_matter
from index.ingest.htmltext import html_to_text
from index.ingest.ids import display_name, distinct_names, iso_date, post_id
from index.ingest.mdtext import drop_templates, markdown_to_text
from index.ingest.options import ReadOptions
from index.records import Post

SUFFIXES = (".md", ".markdown")
DATE_FIELDS = ("date", "published", "pubDate")
AUTHOR_FIELDS = ("author", "authors", "by")
TAG_FIELDS = ("tags", "categories", "keywords")
URL_FIELDS = ("url", "permalink", "path")
REDIRECT_FIELDS = ("redirect", "redirect_to", "redirect_url", "redirectTo")

# Jekyll's 2024-05-01-slug.md, or a Zola path such as 2024/05/01/slug.
_NAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:-|$)")
_PATH_DATE = re.compile(r"(?:^|/)(\d{4})/(\d{2})/(\d{2})(?:/|$)")
_LOOSE_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](.*))?$")
_REFRESH = re.compile(r"<meta[^>]+http-equiv=[\"']?refresh|window\.location(?:\.href)?\s*=", re.I)
# A listing page loops over the site's pages or posts ({{range .Pages}}, {% for post in site.posts %}).
_LISTING = re.compile(
    r"\{\{-?\s*range\b[^}]*\b(?:pages|posts)\b|\{%-?\s*for\s+\w+\s+in\s+[^%]*\b(?:posts|pages)\b", re.I
)


def read_markdown(path: Path, options: ReadOptions) -> Iterator[Found | Skipped]:
    """The file's post, or why it is skipped (a draft, a redirect stub, a listing page, no body)."""
    yield _entry(path, options)


def _entry(path: Path, options: ReadOptions) -> Found | Skipped:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CorpusError(source, None, "not UTF-8; save the file as UTF-8") from None
    meta, body = split_front_matter(text, source)
    title = _string(meta.get("title"), "title", source)
    where = repr(title[:60]) if title else "file"
    if meta.get("draft") is True or str(meta.get("draft")).lower() == "true":
        return Skipped(source, where, "draft", "draft: true in the front matter; set it to false to index it")
    target = next((meta[key] for key in REDIRECT_FIELDS if meta.get(key)), None)
    if target is not None or (_REFRESH.search(body) and not html_to_text(drop_templates(body)).strip()):
        return Skipped(source, where, "redirect stub", f"to {target}" if target else "")
    if path.name == "_index.md" or _LISTING.search(body):
        return Skipped(source, where, "index or listing page")
    text = markdown_to_text(body)
    if not text:
        if path.name.lower() in ("index.md", "index.markdown") and drop_templates(body).strip() != body.strip():
            return Skipped(source, where, "index or listing page")
        return Skipped(source, where, "no body", "nothing but front matter or markup")
    relative = _relative(path, options.root)
    url = _url(meta, relative, options.base_url, source)
    post = Post(
        id=post_id(url or f"markdown:{relative}", title, text),
        title=title,
        text=text,
        author=_authors(meta, source),
        url=url,
        published=_published(meta, relative, source),
        tags=distinct_names(name for key in TAG_FIELDS for name in _names(_tag_field(meta, key), key, source)),
        source=path.name,
    )
    return Found(post, source, where)  # read_sources caps the text and reports the cut


def _tag_field(meta: dict[str, Any], key: str) -> Any:
    """A tag field at the top of the front matter, else under Zola's [taxonomies] table."""
    taxonomies = meta.get("taxonomies")
    if meta.get(key) is None and isinstance(taxonomies, dict):
        return taxonomies.get(key)
    return meta.get(key)


def _string(value: Any, name: str, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise CorpusError(source, None, f"front-matter field {name!r} must be a string, not {type(value).__name__}")
    return str(value).strip() or None


def _names(value: Any, name: str, source: str) -> list[str]:
    """A string (comma-separated for tags) or a list of strings, or of mappings with a name (Hugo's authors)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if name in AUTHOR_FIELDS else value.split(",")
    if isinstance(value, dict) and "name" in value:
        value = [value]
    if isinstance(value, list):
        names = [item.get("name") if isinstance(item, dict) else item for item in value]
        if all(isinstance(item, str | int) for item in names):
            return [str(item) for item in names]
    raise CorpusError(source, None, f"front-matter field {name!r} must be a string or a list of strings")


def _authors(meta: dict[str, Any], source: str) -> str | None:
    names = (display_name(name) for key in AUTHOR_FIELDS for name in _names(meta.get(key), key, source))
    return ", ".join(distinct_names(names)) or None


def _published(meta: dict[str, Any], relative: PurePosixPath, source: str) -> str | None:
    """The front matter's date, else one in the file name (Jekyll) or in its path field (Zola)."""
    for key in DATE_FIELDS:
        value = meta.get(key)
        if isinstance(value, datetime | date):
            return value.isoformat()
        if value is not None and str(value).strip():
            return iso_date(_padded(str(value).strip()), source, None)
    found = _NAME_DATE.match(relative.name) or _PATH_DATE.search(str(meta.get("path") or ""))
    if found:
        return iso_date("-".join(found.groups()), source, None)
    return None


def _padded(value: str) -> str:
    """An ISO date with its month and day zero-padded and a space before the time made a T: hand-written front
    matter has 2024-4-09 and 2024-04-09 10:00:00, which the generators accept."""
    found = _LOOSE_DATE.match(value)
    if not found:
        return value
    year, month, day, rest = found.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}" + (f"T{rest.strip()}" if rest else "")


def _relative(path: Path, root: Path | None) -> PurePosixPath:
    try:
        return PurePosixPath((path.relative_to(root) if root else Path(path.name)).as_posix())
    except ValueError:
        return PurePosixPath(path.name)


def _url(meta: dict[str, Any], relative: PurePosixPath, base_url: str | None, source: str) -> str | None:
    """An absolute http(s) URL from the front matter as is; any other address only joined to the base URL."""
    given = next((_string(meta.get(key), key, source) for key in URL_FIELDS if meta.get(key)), None)
    if given and re.match(r"https?://", given, re.I):
        return given
    if not base_url:
        return None  # a relative address without a base URL would be a guess at where the site lives
    if given is None:
        slug = _string(meta.get("slug"), "slug", source)
        stem = relative.with_suffix("")
        if stem.name == "index":  # a page bundle, posts/hello/index.md, is served as posts/hello/
            given = f"{stem.parent}/" if str(stem.parent) != "." else ""
        else:
            given = str(stem.parent / slug) if slug else str(stem)
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", given.lstrip("/"))
