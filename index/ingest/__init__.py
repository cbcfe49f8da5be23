"""Read posts from files and folders, choosing a reader by file type, and merge duplicates."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.errors import CorpusError
from index.ingest.records import read_csv, read_jsonl
from index.ingest.tagpage import read_tag_page
from index.records import Post

READERS = {
    ".txt": read_tag_page,
    ".jsonl": read_jsonl,
    ".csv": read_csv,
}


@dataclass
class IngestReport:
    """The posts read from the sources, and what was skipped and why."""

    posts: list[Post] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
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


def read_sources(sources: Iterable[str | Path]) -> IngestReport:
    """Read every source; a post seen twice (same id) is merged, later sources filling gaps."""
    report = IngestReport()
    by_id: dict[str, Post] = {}
    for path in source_files(sources):
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            report.skipped.append(f"{path}: not a known corpus format ({', '.join(sorted(READERS))})")
            continue
        report.files.append(str(path))
        for post in reader(path):
            if post.id in by_id:
                by_id[post.id] = merge(by_id[post.id], post)
                report.merged += 1
            else:
                by_id[post.id] = post
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
