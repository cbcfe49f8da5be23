"""Read the Go blog's markdown sources with the project's reader (no model, no index) and check what it finds."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from index import SearchError, read_sources
from index.ingest import IngestReport

ROOT = Path(__file__).resolve().parent.parent
# The Go blog serves posts/NAME.md at go.dev/blog/NAME.
BASE_URL = "https://go.dev/blog/"
# Counted in the sources: 336 files, 60 of them front matter with a redirect field alone, index.md and all.md
# listing pages (loops over the blog's pages), the rest articles.
EXPECTED_ARTICLES = 274
EXPECTED_REDIRECTS = 60
EXPECTED_LISTINGS = 2
# Articles whose front matter names no author (go.dev shows none either); attribution is never invented.
WITHOUT_AUTHOR = frozenset({"go2draft.md", "io2013-chat.md"})
# What a reader must never see in the text: markdown syntax, template calls, HTML, code.
# ("x := x" and "<path>" are prose in these posts; func NAME( and package main are code.)
LEFTOVERS = re.compile(
    r"\{\{|\{%|^#+ |\]\([^)\s]+\)|!\[|^```|</?(?:a|p|div|span|img|link|br|pre|noscript|script|iframe|table|td)\b|"
    r"^\s*[-*] |\bfunc \w+\(.*\{$|^package main$",
    re.M,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", nargs="?", default=str(ROOT.parent / "shared" / "data" / "goblog"))
    parser.add_argument("--samples", type=int, default=4, help="posts to print with a snippet of their text")
    args = parser.parse_args(argv)
    try:
        # The blog's files are in posts/, served at go.dev/blog/NAME: the URL is made from the path below posts/.
        folder = Path(args.dir) / "posts" if (Path(args.dir) / "posts").is_dir() else Path(args.dir)
        report = read_sources([folder], base_url=BASE_URL)
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return check(report, args.samples)


def check(report: IngestReport, samples: int) -> int:
    """Print the articles, the skips and a few samples; 1 when a count or a field is not what the blog has."""
    failures: list[str] = []
    for post in sorted(report.posts, key=lambda p: p.published or ""):
        print(f"{post.published}  {post.title!r}  by {post.author}  {post.url}")
        missing = [name for name in ("title", "published", "url") if not getattr(post, name)]
        if not post.author and post.source not in WITHOUT_AUTHOR:
            missing.append("author")
        if missing:
            failures.append(f"{post.source}: no {', '.join(missing)}")
        leftover = LEFTOVERS.search(post.text)
        if leftover:
            start = max(0, leftover.start() - 40)
            failures.append(f"{post.source}: markup or code left in the text: {post.text[start : start + 100]!r}")
    reasons = dict(report.skipped_by_reason())
    for entry in report.skipped:
        if entry.reason != "redirect stub":
            print(f"skipped {entry.describe()}")
    counts = [
        ("articles read", len(report.posts), EXPECTED_ARTICLES),
        ("redirect stubs skipped", reasons.get("redirect stub", 0), EXPECTED_REDIRECTS),
        ("index and listing pages skipped", reasons.get("index or listing page", 0), EXPECTED_LISTINGS),
        (
            "other skips",
            len(report.skipped) - sum(reasons.get(r, 0) for r in ("redirect stub", "index or listing page")),
            0,
        ),
    ]
    print()
    for label, got, expected in counts:
        print(f"{label}: {got} (expected {expected})")
        if got != expected:
            failures.append(f"{label}: {got}, expected {expected}")
    without = sorted(p.source or "" for p in report.posts if not p.author)
    print(f"articles without an author in their front matter: {', '.join(without) or 'none'}")
    step = max(1, len(report.posts) // max(samples, 1))
    for post in sorted(report.posts, key=lambda p: p.source or "")[::step][:samples]:
        print(
            f"\n--- {post.source}: {post.title} | {post.author} | {post.published} | {post.url} "
            f"| tags {list(post.tags)}"
        )
        print(post.text[:700])
    print()
    for failure in failures:
        print(f"FAIL {failure}")
    print("OK" if not failures else f"{len(failures)} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
