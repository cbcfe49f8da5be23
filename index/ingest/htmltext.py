"""HTML bodies reduced to plain text: paragraphs kept (blank-line separated); scripts, styles, navigation dropped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never post text.
DROPPED = frozenset(
    "script style nav noscript template svg iframe form button select aside header footer head title".split()
)
# Elements that start and end a paragraph.
BLOCKS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table tr "
    "figure figcaption hr address details summary body".split()
)
# WordPress shortcodes are markup, not text; "[…]" and "[1]" are text and survive.
_SHORTCODE = re.compile(r"\[/?(?:caption|gallery|embed|audio|video|playlist|wp_[a-z_]+)\b[^\]]*\]")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


class _TextCollector(HTMLParser):
    """Collects text per paragraph; a blank line in the source counts as a paragraph break (WordPress wpautop)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.words: list[str] = []
        self.dropped_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED:
            self.dropped_depth += 1
        elif tag in BLOCKS:
            self.end_paragraph()
        elif tag == "br" and not self.dropped_depth:
            self.words.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED:
            self.dropped_depth = max(0, self.dropped_depth - 1)
        elif tag in BLOCKS:
            self.end_paragraph()

    def handle_data(self, data: str) -> None:
        if self.dropped_depth:
            return
        for number, part in enumerate(_BLANK_LINE.split(data)):
            if number:
                self.end_paragraph()
            self.words.append(re.sub(r"\s+", " ", part))

    def end_paragraph(self) -> None:
        lines = (" ".join(line.split()) for line in "".join(self.words).split("\n"))
        self.words = []
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            self.paragraphs.append(paragraph)


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment or page, one paragraph per blank-line-separated block."""
    collector = _TextCollector()
    collector.feed(_SHORTCODE.sub("", html))
    collector.close()
    collector.end_paragraph()
    return "\n\n".join(collector.paragraphs)


def plain_text(text: str) -> str:
    """Plain text with its paragraphs kept and the whitespace inside each one collapsed."""
    paragraphs = (" ".join(part.split()) for part in _BLANK_LINE.split(text))
    return "\n\n".join(p for p in paragraphs if p)
