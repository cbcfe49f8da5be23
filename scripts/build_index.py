"""Build a new index version from corpus files or folders and publish it as `current`; or roll back to the previous."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from index import BuildSettings, SearchError, build, read_sources
from index.store import rollback

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sources", nargs="*", help="corpus files or folders (default: data/corpus)")
    parser.add_argument("--out", default="var/index", help="index folder (default: var/index)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--keep", type=int, default=BuildSettings().keep_versions, help="versions to keep (default: 3)")
    parser.add_argument("--rollback", action="store_true", help="point `current` at the previous version; no build")
    args = parser.parse_args(argv)
    try:
        if args.rollback:
            previous, now, refused = rollback(Path(args.out))
            for reason in refused:
                print(f"skipped corrupt version {reason}")
            print(f"rolled back {args.out}: current is now {now.name} (was {previous.name})")
            return 0
        report = read_sources(args.sources or [str(ROOT / "data" / "corpus")])
        for line in report.read:
            print(f"read {line}")
        for reason in report.skipped:
            print(f"skipped {reason}")
        print(f"read {len(report.posts)} posts from {len(report.files)} file(s); {report.merged} merged duplicates")
        settings = BuildSettings(keep_versions=max(args.keep, 1))
        summary = build(report.posts, Path(args.out), settings=settings, progress=not args.quiet)
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
