"""How the readers read: whether WordPress pages count as posts, the cap on a post's text, and where markdown
files are served."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# A post's text beyond this many characters is cut (about 150,000 words; a book is rarely longer): an uncapped
# post of tens of megabytes took the build's memory into gigabytes while splitting it.
MAX_POST_CHARS = 1_000_000
# A JSON Lines line longer than this is refused before it is parsed: parsing holds it about three times over.
MAX_LINE_BYTES = 128 * 1024 * 1024
# How far back from the cap a paragraph, sentence or word boundary is looked for before cutting mid-word.
BOUNDARY_WINDOW = 2_000

_SENTENCE_END = re.compile(r"[.!?…][\"')\]’”]*\s")


@dataclass(frozen=True)
class ReadOptions:
    include_pages: bool = False
    max_post_chars: int = MAX_POST_CHARS
    # The site's address: a markdown or built HTML file's path (or front matter's path) joined to it is its URL.
    base_url: str | None = None
    # The folder the file was found under, whose path below it the URL is made from (set per file by read_sources).
    root: Path | None = None

    def __post_init__(self) -> None:
        if self.max_post_chars < 1:
            raise ValueError(f"max_post_chars must be at least 1, not {self.max_post_chars}")


def cut_text(text: str, max_chars: int) -> str:
    """The text, or when longer than max_chars its start, ended at the last paragraph, else sentence, else word
    boundary within BOUNDARY_WINDOW characters of the cap (mid-word only when there is none)."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    floor = max(0, max_chars - BOUNDARY_WINDOW)
    paragraph = head.rfind("\n\n", floor)
    if paragraph > 0:
        return head[:paragraph].rstrip()
    sentences = [m.end() for m in _SENTENCE_END.finditer(head, floor)]
    if sentences:
        return head[: sentences[-1]].rstrip()
    space = max(head.rfind(" ", floor), head.rfind("\n", floor))
    cut = head[:space] if space > 0 else head
    return cut.rstrip() or head
