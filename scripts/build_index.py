"""Build a new index version from corpus files, folders or feed URLs and publish it as `current`; or roll back."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from index import BuildSettings, SearchError, read_sources
from index.ingest import IngestReport
from index.ingest.options import MAX_POST_CHARS
from index.journal import build_with_pushes, pushed_posts_count
from index.store import rollback

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sources", nargs="*", help="corpus files, folders or feed URLs (default: data/corpus)")
    parser.add_argument("--out", default="var/index", help="index folder (default: var/index)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--keep", type=int, default=BuildSettings().keep_versions, help="versions to keep (default: 3)")
    parser.add_argument("--rollback", action="store_true", help="point `current` at the previous version; no build")
    parser.add_argument("--include-pages", action="store_true", help="index published WordPress pages as well as posts")
    parser.add_argument(
        "--max-post-chars",
        type=positive,
        default=MAX_POST_CHARS,
        metavar="N",
        help=f"cut a post's text to N characters, with a warning (default: {MAX_POST_CHARS:,})",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="the site's address; a markdown file's path below its folder, joined to it, is the post's URL "
        "(without it such posts have no URL)",
    )
    args = parser.parse_args(argv)
    try:
        if args.rollback:
            previous, now, refused = rollback(Path(args.out))
            for reason in refused:
                print(f"skipped corrupt version {reason}")
            print(f"rolled back {args.out}: current is now {now.name} (was {previous.name})")
            return 0
        sources = args.sources or [str(ROOT / "data" / "corpus")]
        reading = time.perf_counter()
        report = read_sources(
            sources, include_pages=args.include_pages, max_post_chars=args.max_post_chars, base_url=args.base_url
        )
        reading = time.perf_counter() - reading
        print_report(report)
        settings = BuildSettings(keep_versions=max(args.keep, 1))
        put, deleted = pushed_posts_count(Path(args.out))
        if put or deleted:
            print(f"kept what was pushed to {args.out} (PUT/DELETE /admin/posts): {put} posts put, {deleted} deleted")
        summary = build_with_pushes(report.posts, Path(args.out), settings=settings, progress=not args.quiet)
        summary.stages = {"reading": reading, **summary.stages}
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.describe())
    return 0


def positive(value: str) -> int:
    number = int(value.replace(",", "").replace("_", ""))
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value}")
    return number


def print_report(report: IngestReport) -> None:
    """Each file's posts and entries, every entry skipped and why, then a count per reason, and texts cut."""
    for line in report.read:
        print(f"read {line}")
    for entry in report.skipped:
        print(f"skipped {entry.describe()}")
    for reason, count in report.skipped_by_reason():
        print(f"skipped {count}: {reason}")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"read {len(report.posts)} posts from {len(report.files)} file(s); {report.merged} merged duplicates")


if __name__ == "__main__":
    sys.exit(main())
