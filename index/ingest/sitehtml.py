"""Reader for a built static site (Hugo's public/, Jekyll's _site/): one post per article page, read as Pagefind
reads it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin

from index.errors import CorpusError
from index.ingest.entries import Found, Skipped
from index.ingest.htmlpage import MARK, Page, parse_page
from index.ingest.htmltext import html_to_text
from index.ingest.ids import display_name, distinct_names, iso_date, post_id
from index.ingest.options import ReadOptions
from index.records import Post

SUFFIXES = (".html", ".htm")
ARTICLE_TYPES = frozenset(("Article", "BlogPosting", "NewsArticle", "TechArticle", "ScholarlyArticle", "Report"))
LISTING = "index or listing page"  # the markdown reader's reason too, so a build counts both together
# Folders a generator writes its taxonomy and pagination pages to: tags/go/, categories/news/, page/2/, page2/.
_LISTING_FOLDERS = frozenset(("tags", "tag", "categories", "category"))
_PAGE_FOLDER = re.compile(r"^page\d*$")
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\"]*)", re.I)


def read_site_html(path: Path, options: ReadOptions) -> Iterator[Found | Skipped]:
    """The page's post, or why it is skipped (a redirect, a 404 page, a listing, tag or pagination page, no text)."""
    yield _entry(path, options)


def _entry(path: Path, options: ReadOptions) -> Found | Skipped:
    source = str(path)
    page = parse_page(_read(path))
    relative = _relative(path, options.root)
    title = _title(page)
    where = repr(title[:60]) if title else "page"
    if page.refresh is not None:
        target = _REFRESH_URL.search(page.refresh)
        return Skipped(source, where, "redirect page", f"to {target.group(1).strip()}" if target else "")
    if relative.stem == "404" or "404" in relative.parent.parts:
        return Skipped(source, where, "not-found page")
    listing = _listing_folder(relative)
    if listing:
        return Skipped(source, where, LISTING, listing)
    content, why = _content(page, _site_marks_body(options.root) if options.root else bool(page.marked))
    if content is None:
        return Skipped(source, where, LISTING, why)
    text = html_to_text(content)
    if not text:
        return Skipped(source, where, "no body", "no text in the page's main content")
    url = _url(page, relative, options.base_url)
    posting = _posting(page)
    post = Post(
        id=post_id(url or f"html:{relative}", title, text),
        title=title,
        text=text,
        author=_author(page, posting),
        url=url,
        published=_published(page, posting),
        tags=_tags(page, posting),
        source=str(relative),
    )
    return Found(post, source, where)  # read_sources caps the text and reports the cut


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CorpusError(str(path), None, "not UTF-8; build the site with UTF-8 output") from None


@lru_cache(maxsize=32)
def _site_marks_body(root: Path) -> bool:
    """Whether any page under the folder marks its content with data-pagefind-body: Pagefind then indexes only
    marked elements, site-wide. Cached per folder, since every page of the folder asks."""
    return any(
        MARK in _read(path)
        for path in root.rglob("*")
        if path.suffix.lower() in SUFFIXES and path.is_file() and not path.name.startswith(".")
    )


def _listing_folder(relative: PurePosixPath) -> str:
    """Why a page's place in the site makes it a taxonomy or pagination page, or "" when it does not."""
    for folder in relative.parent.parts:
        if folder.lower() in _LISTING_FOLDERS:
            return f"under {folder}/"
        if _PAGE_FOLDER.match(folder.lower()) and folder.lower() != "page":
            return f"pagination page {folder}/"
    parts = [part.lower() for part in relative.parent.parts]
    for first, second in pairwise(parts):
        if first == "page" and second.isdigit():
            return f"pagination page {first}/{second}/"
    return ""


def _content(page: Page, site_marks_body: bool) -> tuple[str | None, str]:
    """The HTML of the page's main content, or None and why the page has none (a listing, say)."""
    if site_marks_body:
        if not page.marked:
            return None, "no data-pagefind-body element, which this site marks its posts' content with"
        return "\n".join(f"<div>{part}</div>" for part in page.marked), ""
    if len(page.articles) > 1:
        return None, f"{len(page.articles)} <article> elements"
    if page.articles:
        return page.articles[0], ""
    if page.mains:
        return page.mains[0], ""
    return None, "no <article>, <main> or data-pagefind-body element"


def _title(page: Page) -> str | None:
    """og:title, else the content's first <h1>, else the page's, else <title>."""
    for candidate in (*page.meta("og:title"), page.article_h1, page.first_h1, page.title):
        if candidate and candidate.strip():
            return " ".join(candidate.split())
    return None


def _posting(page: Page) -> dict[str, Any]:
    """The page's schema.org Article (or BlogPosting...) JSON-LD object, or {}: a block that is not JSON is
    ignored, as search engines ignore it."""
    for block in page.ld_json:
        try:
            data = json.loads(block)
        except ValueError:
            continue
        for item in _ld_items(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(kind in ARTICLE_TYPES for kind in kinds if isinstance(kind, str)):
                return item
    return {}


def _ld_items(data: Any) -> Iterator[dict[str, Any]]:
    """The objects of a JSON-LD block: itself, the items of a list, or of its @graph."""
    if isinstance(data, list):
        for item in data:
            yield from _ld_items(item)
    elif isinstance(data, dict):
        yield data
        if isinstance(data.get("@graph"), list):
            yield from _ld_items(data["@graph"])


def _author(page: Page, posting: dict[str, Any]) -> str | None:
    """<meta name="author">, else the JSON-LD author's name (or names); e-mail addresses dropped."""
    names = page.meta("author") or _ld_names(posting.get("author"))
    return ", ".join(distinct_names(display_name(name) for name in names)) or None


def _ld_names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [value["name"]] if isinstance(value.get("name"), str) else []
    if isinstance(value, list):
        return [name for item in value for name in _ld_names(item)]
    return []


def _published(page: Page, posting: dict[str, Any]) -> str | None:
    """article:published_time, else the JSON-LD datePublished, else the article's <time datetime>."""
    published = posting.get("datePublished")
    candidates = [*page.meta("article:published_time"), published if isinstance(published, str) else None]
    for candidate in [*candidates, page.article_time]:
        if not candidate or not candidate.strip():
            continue
        try:
            # HTML allows a space before the time; ISO 8601 wants a T.
            return iso_date(re.sub(r"^(\d{4}-\d{2}-\d{2}) ", r"\1T", candidate.strip()), "", None)
        except CorpusError:
            # A theme's markup is not the owner's writing: a date it garbles is passed over, not a failed build.
            continue
    return None


def _tags(page: Page, posting: dict[str, Any]) -> tuple[str, ...]:
    """article:tag metas, else the JSON-LD keywords (a list, or one comma-separated string)."""
    tags = page.meta("article:tag")
    if not tags:
        keywords = posting.get("keywords")
        if isinstance(keywords, str):
            tags = keywords.split(",")
        elif isinstance(keywords, list):
            tags = [keyword for keyword in keywords if isinstance(keyword, str)]
    return distinct_names(tags)


def _relative(path: Path, root: Path | None) -> PurePosixPath:
    try:
        return PurePosixPath((path.relative_to(root) if root else Path(path.name)).as_posix())
    except ValueError:
        return PurePosixPath(path.name)


def _url(page: Page, relative: PurePosixPath, base_url: str | None) -> str | None:
    """The canonical link or og:url when absolute http(s); else the file's path joined to the base URL, an
    index.html standing for its folder; else None (a relative address without a base would be a guess)."""
    for given in (page.canonical, *page.meta("og:url")):
        if given and re.match(r"https?://", given.strip(), re.I):
            return given.strip()
    if not base_url:
        return None
    if relative.stem.lower() == "index":
        address = f"{relative.parent}/" if str(relative.parent) != "." else ""
    else:
        address = str(relative)
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", address)
