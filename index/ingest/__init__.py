"""Read posts from files and folders, choosing a reader by file type and content, and merge duplicates."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.errors import CorpusError
from index.ingest.feeds import read_feed
from index.ingest.records import read_csv, read_jsonl
from index.ingest.skipped import Skipped
from index.ingest.tagpage import read_tag_page
from index.ingest.wordpress import WXR_NAMESPACE, read_wp_json, read_wxr
from index.records import Post

Reader = Callable[[Path], Iterable[Post | Skipped]]

READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("tag page", read_tag_page),
    ".jsonl": ("JSON Lines", read_jsonl),
    ".csv": ("CSV", read_csv),
    ".json": ("WordPress REST posts", read_wp_json),
}
XML_SUFFIXES = (".xml", ".rss", ".atom", ".wxr")
SNIFF_BYTES = 4096
_PROLOGUE = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!.*?>", re.DOTALL)
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


@dataclass
class IngestReport:
    """The posts read from the sources, what each file gave, and what was skipped and why."""

    posts: list[Post] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    merged: int = 0


def source_files(sources: Iterable[str | Path]) -> Iterator[Path]:
    """Expand folders into the readable files they hold, in a stable order."""
    for source in sources:
        path = Path(source)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            yield path
        else:
            raise CorpusError(str(path), None, "no such file or folder; pass a corpus file or folder that exists")


def reader_for(path: Path) -> tuple[str, Reader] | str:
    """The format and reader of a file, or why it has none. XML files are told apart by their root element."""
    suffix = path.suffix.lower()
    if suffix in READERS:
        return READERS[suffix]
    if suffix not in XML_SUFFIXES:
        known = ", ".join([*READERS, *XML_SUFFIXES])
        return f"not a known corpus format (by extension: {known})"
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    root = _ROOT.search(_PROLOGUE.sub(b"", head))
    name = root.group(1).decode("ascii").split(":")[-1].lower() if root else ""
    # A WXR export is RSS whose root declares the wp namespace; a WordPress *feed* does not.
    if name == "rss" and WXR_NAMESPACE.encode() in head:
        return ("WordPress export (WXR)", read_wxr)
    if name in ("rss", "feed", "rdf"):
        return ("RSS/Atom feed", read_feed)
    return f"XML whose root is <{name or '?'}>, neither a feed (<rss>, <feed>, <rdf:RDF>) nor a WordPress export"


def read_sources(sources: Iterable[str | Path]) -> IngestReport:
    """Read every source; a post seen twice (same id, from its url if it has one) is merged, later ones filling gaps."""
    report = IngestReport()
    by_id: dict[str, Post] = {}
    for path in source_files(sources):
        found = reader_for(path)
        if isinstance(found, str):
            report.skipped.append(f"{path}: {found}")
            continue
        kind, reader = found
        report.files.append(str(path))
        count = 0
        for entry in reader(path):
            if isinstance(entry, Skipped):
                report.skipped.append(entry.describe())
                continue
            count += 1
            if entry.id in by_id:
                by_id[entry.id] = merge(by_id[entry.id], entry)
                report.merged += 1
            else:
                by_id[entry.id] = entry
        report.read.append(f"{path}: {count} posts ({kind})")
    report.posts = list(by_id.values())
    if not report.posts:
        raise CorpusError(", ".join(str(s) for s in sources), None, "no posts found; check the paths and formats")
    return report


def merge(first: Post, second: Post) -> Post:
    """Keep the first post's fields and fill the ones it lacks from the second."""
    filled = {
        name: getattr(second, name)
        for name in ("title", "author", "url", "published", "source")
        if getattr(first, name) is None and getattr(second, name) is not None
    }
    tags = tuple(dict.fromkeys(first.tags + second.tags))
    text = second.text if len(second.text) > len(first.text) else first.text
    return replace(first, **filled, tags=tags, text=text)
