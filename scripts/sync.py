"""Keep an index in step with its sources: re-read them every so often (feeds with conditional requests), and build
and publish a new version when their posts changed. Posts deleted from a file or folder leave the index; posts that
fell off a feed's latest entries stay. A source that fails keeps what it last gave, and is tried again next pass."""

from __future__ import annotations

import argparse
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from index import BuildSettings, SearchError
from index.errors import StorageError
from index.fetch import MAX_BYTES, TIMEOUT_S
from index.ingest.options import MAX_POST_CHARS
from index.sync import SyncOptions, SyncPass, sync_once
from index.syncstate import SyncBusyError, sync_lock

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def main(argv: list[str] | None = None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)
    if args.every is None and not args.once:
        arguments.error("say how often with --every (such as 10m), or --once for a single pass")
    options = SyncOptions(
        include_pages=args.include_pages,
        max_post_chars=args.max_post_chars,
        base_url=args.base_url,
        timeout=args.timeout,
        max_bytes=MAX_BYTES,
        settings=BuildSettings(keep_versions=max(args.keep, 1)),
    )
    root = Path(args.out)
    # systemd and docker stop a service with SIGTERM: stop as Ctrl-C does, between passes or mid-build alike.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with sync_lock(root):
            while True:
                started = time.monotonic()
                done = run_pass(args.sources, root, options)
                if args.once:
                    return 0 if done is not None and not done.failures and not done.held_back else 1
                time.sleep(max(0.0, started + args.every - time.monotonic()))
    except (SyncBusyError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log("stopped; the served version is whatever the last pass published")
        return 0


def run_pass(sources: list[str], root: Path, options: SyncOptions) -> SyncPass | None:
    """One pass, its outcome logged: one line per failed source, one line for the pass. A pass that fails as a
    whole (the state unreadable, the disk full) logs why and publishes nothing; the next pass tries again."""
    try:
        done = sync_once(sources, root, options)
    except SearchError as exc:
        log(f"pass failed, served version kept: {exc}")
        return None
    for failure in done.failures:
        log(f"failed {failure}")
    log(done.describe())
    return done


def log(line: str) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    print(f"{stamp} sync: {line}", flush=True)


def duration(value: str) -> float:
    """Seconds in `30s`, `10m`, `1h`, `1d` or a bare number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value.lower())
    seconds = float(match.group(1)) * UNITS[match.group(2) or "s"] if match else 0.0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"a duration such as 30s, 10m or 1h is expected, not {value!r}")
    return seconds


def positive(value: str) -> int:
    number = int(value.replace(",", "").replace("_", ""))
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value}")
    return number


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sources", nargs="+", help="feed URLs (http or https), corpus files or folders")
    parser.add_argument("--out", default="var/index", help="index folder (default: var/index)")
    parser.add_argument("--every", type=duration, metavar="DURATION", help="time between passes: 30s, 10m, 1h")
    parser.add_argument("--once", action="store_true", help="one pass, then exit (cron); status 1 if a source failed")
    parser.add_argument("--timeout", type=duration, default=TIMEOUT_S, help=f"per fetch (default {TIMEOUT_S:g}s)")
    parser.add_argument("--keep", type=positive, default=BuildSettings().keep_versions, help="versions to keep")
    parser.add_argument("--include-pages", action="store_true", help="index published WordPress pages as well")
    parser.add_argument("--max-post-chars", type=positive, default=MAX_POST_CHARS, metavar="N", help="cap a text")
    parser.add_argument("--base-url", metavar="URL", help="the site's address, for markdown and built HTML files")
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
