"""Read posts from files, folders and feed URLs, choosing a reader by file type and content: published posts only,
each text within the size cap, a post read twice merged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from index.errors import CorpusError
from index.fetch import fetch
from index.ingest.entries import Found, Skipped
from index.ingest.feeds import read_feed
from index.ingest.feedurl import FEED_KIND, is_url, read_feed_document
from index.ingest.markdown import read_markdown
from index.ingest.merge import merge
from index.ingest.options import MAX_POST_CHARS, ReadOptions, cut_text
from index.ingest.published import in_future
from index.ingest.records import read_csv, read_jsonl
from index.ingest.sitehtml import read_site_html
from index.ingest.sniff import xml_root
from index.ingest.tagpage import read_tag_page
from index.ingest.wordpress import is_wxr_namespace, read_wxr
from index.ingest.wprest import read_wp_json
from index.records import Post

Reader = Callable[[Path, ReadOptions], Iterable[Found | Skipped]]

READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("tag page", read_tag_page),
    ".jsonl": ("JSON Lines", read_jsonl),
    ".csv": ("CSV", read_csv),
    ".json": ("WordPress REST posts", read_wp_json),
    ".md": ("markdown", read_markdown),
    ".markdown": ("markdown", read_markdown),
    ".html": ("built site HTML", read_site_html),
    ".htm": ("built site HTML", read_site_html),
}
XML_SUFFIXES = (".xml", ".rss", ".atom", ".wxr")


@dataclass
class IngestReport:
    """The posts read from the sources, what each file gave, what was skipped and why, and texts that were cut."""

    posts: list[Post] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    read: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    merged: int = 0

    def skipped_by_reason(self) -> list[tuple[str, int]]:
        """How many entries (and files) were skipped for each reason, the commonest first."""
        return Counter(entry.reason for entry in self.skipped).most_common()


def source_files(sources: Iterable[str | Path]) -> Iterator[Path]:
    """Expand folders into the readable files they hold, in a stable order."""
    for _, path in _rooted_files(sources):
        yield path


def _rooted_files(sources: Iterable[str | Path]) -> Iterator[tuple[Path | None, Path]]:
    """Each file with the folder it was found under (None for a file passed itself), in a stable order."""
    for source in sources:
        path = Path(source)
        if path.is_dir():
            yield from (
                (path, p) for p in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            )
        elif path.is_file():
            yield None, path
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
    root, namespaces = xml_root(path)
    # A WXR export is RSS whose root declares the export namespace; a WordPress *feed* does not. The feed reader
    # refuses a file declaring it anywhere else, so an export is never read as a feed, drafts and all.
    if root == "rss" and any(is_wxr_namespace(uri) for uri in namespaces):
        return ("WordPress export (WXR)", read_wxr)
    if root in ("rss", "feed", "rdf"):
        return ("RSS/Atom feed", read_feed)
    return f"XML whose root is <{root or '?'}>, neither a feed (<rss>, <feed>, <rdf:RDF>) nor a WordPress export"


def read_sources(
    sources: Iterable[str | Path],
    *,
    include_pages: bool = False,
    max_post_chars: int = MAX_POST_CHARS,
    base_url: str | None = None,
) -> IngestReport:
    """Read every source's published posts: a post dated in the future is skipped whatever its format, a text over
    max_post_chars is cut (with a warning), and a post seen twice (same id) is merged, later ones filling gaps.
    base_url turns a markdown or HTML file's path below the folder passed into its URL. A source that is an http(s)
    URL is fetched (index.fetch: a timeout and a size limit) and read as an RSS or Atom feed."""
    sources = list(sources)
    options = ReadOptions(include_pages=include_pages, max_post_chars=max_post_chars, base_url=base_url)
    now = datetime.now(UTC)
    report = IngestReport()
    by_id: dict[str, Found] = {}
    for source in sources:
        if is_url(source):
            url = str(source)
            document = fetch(url).body or b""
            _take(report, by_id, url, FEED_KIND, read_feed_document(url, document, options), options, now)
            continue
        for root, path in _rooted_files([source]):
            found = reader_for(path)
            if isinstance(found, str):
                report.skipped.append(Skipped(str(path), "", found))
                continue
            kind, reader = found
            _take(report, by_id, str(path), kind, reader(path, replace(options, root=root)), options, now)
    report.posts = [found.post for found in by_id.values()]
    if not report.posts:
        # Printed instead of the report, so it says what was passed over: an export of drafts alone, say.
        reasons = "; ".join(f"{count} {reason}" for reason, count in report.skipped_by_reason())
        passed_over = f" ({len(report.skipped)} skipped: {reasons})" if report.skipped else ""
        raise CorpusError(
            ", ".join(str(s) for s in sources), None, f"no posts found{passed_over}; check the paths and formats"
        )
    return report


def read_fetched_feed(
    url: str,
    document: bytes,
    *,
    include_pages: bool = False,
    max_post_chars: int = MAX_POST_CHARS,
    base_url: str | None = None,
) -> IngestReport:
    """The published posts of a feed already fetched from url, as read_sources reads them; a feed may have none."""
    options = ReadOptions(include_pages=include_pages, max_post_chars=max_post_chars, base_url=base_url)
    report = IngestReport()
    by_id: dict[str, Found] = {}
    entries = read_feed_document(url, document, options)
    _take(report, by_id, url, FEED_KIND, entries, options, datetime.now(UTC))
    report.posts = [found.post for found in by_id.values()]
    return report


def _take(
    report: IngestReport,
    by_id: dict[str, Found],
    source: str,
    kind: str,
    entries: Iterable[Found | Skipped],
    options: ReadOptions,
    now: datetime,
) -> None:
    """Add one file's or feed's entries to the report: skips counted, texts capped, a post seen before merged."""
    report.files.append(source)
    posts = count = 0
    for entry in entries:
        count += 1
        entry = _capped(_published(entry, now), options, report)
        if isinstance(entry, Skipped):
            report.skipped.append(entry)
            continue
        posts += 1
        if entry.post.id in by_id:
            by_id[entry.post.id] = merge(by_id[entry.post.id], entry)
            report.merged += 1
        else:
            by_id[entry.post.id] = entry
    report.read.append(f"{source}: {posts} posts ({kind}) of {count} entries, {count - posts} skipped")


def _capped(entry: Found | Skipped, options: ReadOptions, report: IngestReport) -> Found | Skipped:
    """The entry with its text cut to the cap; a cut, by the reader or here, is reported as a warning."""
    if isinstance(entry, Skipped):
        return entry
    cut_from = entry.cut_from
    if len(entry.post.text) > options.max_post_chars:
        cut_from = len(entry.post.text)
        entry = replace(entry, post=replace(entry.post, text=cut_text(entry.post.text, options.max_post_chars)))
    if cut_from is not None:
        report.warnings.append(
            f"{entry.describe()}: text of {cut_from:,} characters cut to {len(entry.post.text):,} "
            f"(posts are capped at {options.max_post_chars:,} characters; --max-post-chars sets the cap)"
        )
    return entry


def _published(entry: Found | Skipped, now: datetime) -> Found | Skipped:
    if isinstance(entry, Found) and in_future(entry.post.published, now):
        return Skipped(entry.source, entry.where, "published in the future", entry.post.published or "")
    return entry
