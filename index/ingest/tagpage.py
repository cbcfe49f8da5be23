"""Reader for a blog tag page saved as plain text: a blurb, a `Tag:` line, then title and excerpt lines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from index.errors import CorpusError
from index.ingest.entries import Found
from index.ingest.ids import post_id
from index.ingest.options import ReadOptions
from index.records import Post

_HONORIFIC = r"(?:(?:Dr|Prof|Professor|Mr|Mrs|Ms|Miss|Sir|Dame)\.?\s+)?"
_NAME = _HONORIFIC + r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’.-]*){1,3}"
# "… By Dr. Ryan Kemp", "… – Book Review by Yang Chen"
_BYLINE = re.compile(rf"^(?P<title>.*?\S)\s+[Bb]y\s+(?P<author>{_NAME})$")
# "Nurturing Nature in the NHS. Isabella Fisk": a sentence-final title, then a bare name
_TRAILING_NAME = re.compile(rf"^(?P<title>.*\S\.)\s+(?P<author>{_NAME})$")


def split_byline(line: str) -> tuple[str, str | None]:
    """Separate an author the title line names from the title; (title, None) when it names none."""
    for pattern in (_BYLINE, _TRAILING_NAME):
        match = pattern.match(line)
        if match:
            title = match["title"]
            if title.endswith(".") and not title.endswith(".."):
                title = title[:-1]
            return title.strip(), match["author"].strip()
    return line, None


def read_tag_page(path: Path, options: ReadOptions) -> Iterator[Found]:
    """Yield the page's posts; the leading blurb is a post too (an excerpt whose title the page omits)."""
    source = str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise CorpusError(source, None, f"not UTF-8 text ({exc.reason}); save the file as UTF-8") from None
    numbered = [(number, line.strip()) for number, line in enumerate(lines, start=1) if line.strip()]
    tag_at = next((i for i, (_, line) in enumerate(numbered) if line.startswith("Tag:")), None)
    if tag_at is None:
        raise CorpusError(source, None, "no 'Tag:' line; a .txt corpus file must be a saved tag page")
    tag = numbered[tag_at][1].removeprefix("Tag:").strip()
    tags = (tag,) if tag else ()
    for number, blurb in numbered[:tag_at]:
        post = Post(id=post_id(None, None, blurb), title=None, text=blurb, tags=tags, source=path.name)
        yield Found(post, source, f"line {number}", number)
    entries = numbered[tag_at + 1 :]
    if len(entries) % 2:
        number, line = entries[-1]
        raise CorpusError(source, number, f"title line {line[:60]!r} has no excerpt line after it")
    for (title_no, title_line), (text_no, text) in zip(entries[::2], entries[1::2], strict=True):
        if title_line.startswith("Tag:") or text.startswith("Tag:"):
            raise CorpusError(source, text_no, "a second 'Tag:' line; a tag page has one, before the posts")
        if len(title_line) > 300:
            raise CorpusError(source, title_no, "expected a title line, found a long paragraph; check the pairing")
        title, author = split_byline(title_line)
        post = Post(
            id=post_id(None, title_line, text), title=title, text=text, author=author, tags=tags, source=path.name
        )
        yield Found(post, source, f"line {title_no}", title_no)
