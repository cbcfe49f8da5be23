"""Build a new index version from corpus files or folders and publish it as `current`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from index import SearchError, build, read_sources

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sources", nargs="*", help="corpus files or folders (default: data/corpus)")
    parser.add_argument("--out", default="var/index", help="index folder (default: var/index)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    sources = args.sources or [str(ROOT / "data" / "corpus")]
    try:
        report = read_sources(sources)
        print(f"read {len(report.posts)} posts from {len(report.files)} file(s); {report.merged} merged duplicates")
        for reason in report.skipped:
            print(f"skipped {reason}")
        summary = build(report.posts, Path(args.out), progress=not args.quiet)
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
