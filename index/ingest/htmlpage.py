"""What a built HTML page says about itself: its metas, JSON-LD, headings and the HTML of its content elements."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Page chrome: an <article> inside one is a teaser ("related posts"), not the page's content or a listing's entry.
CHROME = frozenset(("aside", "nav", "footer", "header"))
MARK = "data-pagefind-body"


@dataclass
class _Capture:
    """The HTML of one content element as it is read; depth counts open elements of its own tag."""

    tag: str
    parts: list[str] = field(default_factory=list)
    depth: int = 1


@dataclass
class Page:
    """The facts a reader needs from one page; the content elements' HTML has <pre> blocks left out."""

    metas: dict[str, list[str]] = field(default_factory=dict)
    canonical: str | None = None
    refresh: str | None = None
    title: str = ""
    first_h1: str | None = None
    ld_json: list[str] = field(default_factory=list)
    article_time: str | None = None
    articles: list[str] = field(default_factory=list)
    mains: list[str] = field(default_factory=list)
    marked: list[str] = field(default_factory=list)
    article_h1: str | None = None

    def meta(self, key: str) -> list[str]:
        """The non-blank contents of the metas with this property or name, in page order."""
        return [value.strip() for value in self.metas.get(key, []) if value.strip()]


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.captures: dict[str, list[_Capture]] = {"article": [], "main": [], "marked": []}
        self.open: list[tuple[str, _Capture]] = []
        self.chrome_depth = 0
        self.pre_depth = 0
        self.in_title = False
        self.title_seen = False
        self.h1: list[str] | None = None
        self.ld: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self._head(tag, attributes)
        if tag == "pre":
            # Code listings are kept out of the text, as the markdown reader keeps them out of answer sentences;
            # an empty paragraph stands in so the text either side stays apart.
            if not self.pre_depth:
                self._append("<p></p>")
            self.pre_depth += 1
            return
        if self.pre_depth:
            return
        for _, capture in self.open:
            if capture.tag == tag:
                capture.depth += 1
        self._append(self.get_starttag_text() or "")
        if tag == "article" and not self.chrome_depth and not self._inside("article"):
            self._start("article", tag)
        if tag == "main" and not self._inside("main"):
            self._start("main", tag)
        if MARK in attributes and not self._inside("marked"):
            self._start("marked", tag)
        if tag in CHROME:
            self.chrome_depth += 1
        if tag == "time" and attributes.get("datetime") and self._inside("article") and not self.page.article_time:
            self.page.article_time = attributes["datetime"]
        if tag == "h1" and self.h1 is None:
            self.h1 = []

    def _head(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == "meta":
            key = (attributes.get("property") or attributes.get("name") or "").strip().lower()
            if key:
                self.page.metas.setdefault(key, []).append(attributes.get("content", ""))
            if attributes.get("http-equiv", "").strip().lower() == "refresh" and self.page.refresh is None:
                self.page.refresh = attributes.get("content", "")
        elif tag == "link" and "canonical" in attributes.get("rel", "").lower().split():
            self.page.canonical = self.page.canonical or attributes.get("href", "").strip() or None
        elif tag == "title" and not self.title_seen:
            # Only the document's title: an inline SVG icon has a <title> of its own.
            self.in_title = self.title_seen = True
        elif tag == "script" and attributes.get("type", "").strip().lower() == "application/ld+json":
            self.ld = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag == "script" and self.ld is not None:
            self.page.ld_json.append("".join(self.ld))
            self.ld = None
        elif tag == "h1" and self.h1 is not None:
            text = " ".join("".join(self.h1).split())
            self.page.first_h1 = self.page.first_h1 or text or None
            if self._inside("article") or self._inside("main") or self._inside("marked"):
                self.page.article_h1 = self.page.article_h1 or text or None
            self.h1 = None
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
            return
        if self.pre_depth:
            return
        if tag in CHROME:
            self.chrome_depth = max(0, self.chrome_depth - 1)
        for kind, capture in list(self.open):
            if capture.tag == tag:
                capture.depth -= 1
                if not capture.depth:
                    self.open.remove((kind, capture))
        self._append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.page.title += data
        if self.ld is not None:
            self.ld.append(data)
            return
        if self.h1 is not None:
            self.h1.append(data)
        if not self.pre_depth:
            self._append(html.escape(data, quote=False))

    def _start(self, kind: str, tag: str) -> None:
        capture = _Capture(tag)
        self.captures[kind].append(capture)
        self.open.append((kind, capture))

    def _inside(self, kind: str) -> bool:
        return any(open_kind == kind for open_kind, _ in self.open)

    def _append(self, text: str) -> None:
        for _, capture in self.open:
            capture.parts.append(text)


def parse_page(text: str) -> Page:
    """The page's metas, canonical link, refresh, title, headings, JSON-LD blocks and content elements' HTML."""
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    page = parser.page
    page.title = " ".join(page.title.split())
    page.articles, page.mains, page.marked = (
        ["".join(capture.parts) for capture in parser.captures[kind]] for kind in ("article", "main", "marked")
    )
    return page
