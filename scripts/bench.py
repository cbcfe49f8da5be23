"""Latency, throughput, memory and build speed on a BEIR corpus, side by side with sentence-transformers and txtai."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

from index import SearchError
from index.bench.speed import BenchSettings, run_benchmark

ROOT = Path(__file__).resolve().parent.parent

INSTALL_TXTAI = "pip install -e '.[bench]' torch==2.13.0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scifact", nargs="?", default=str(ROOT.parent / "shared" / "data" / "scifact"))
    parser.add_argument("--json", action="store_true", help="the last line printed is one JSON object")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load per concurrency level")
    parser.add_argument("--max-posts", type=int, help="only the first N documents (a quick run)")
    parser.add_argument("--max-queries", type=int, help="only the first N test queries (a quick run)")
    parser.add_argument("--quantization", action="store_true", help="instead: the int8 models' nDCG@10 and speed")
    parser.add_argument("--ann", type=int, metavar="N", help="instead: IVF recall@10 and latency at N vectors")
    parser.add_argument(
        "--index",
        metavar="DIR",
        help="with --quantization or --ann: an index of the corpus to reuse; with --answers, --analytics or "
        "--listing: the index",
    )
    parser.add_argument(
        "--load", action="store_true", help="instead: 16 clients for --seconds (default 60), then again with a publish"
    )
    parser.add_argument(
        "--answers",
        metavar="QUESTIONS",
        help="instead: /api/answer's engine time on --index for these questions (a JSON Lines file with 'q'), with "
        "and without the answer decision's evidence, side by side",
    )
    parser.add_argument(
        "--analytics",
        metavar="QUERIES",
        help="instead: /api/search's HTTP p50 on --index with the query log on and off, side by side (QUERIES: a "
        "JSON Lines file with 'q')",
    )
    parser.add_argument(
        "--listing",
        metavar="QUERIES",
        help="instead: /api/search's engine time on --index for these queries (a JSON Lines file with 'q'): the k "
        "best passages as before issue 19, group=passage, posts (the default) and posts with facets, side by side",
    )
    args = parser.parse_args(argv)
    for option, study in (("listing", "listing_speed"), ("analytics", "analytics_cost"), ("answers", "answer_speed")):
        if getattr(args, option):
            if not args.index:
                parser.error(f"--{option} needs --index DIR, an index of the corpus its queries are about")
            return queries_study(study, Path(args.index), Path(getattr(args, option)), args.json)
    if args.load:
        return load(Path(args.scifact), args, parser.get_default("seconds"))
    if args.quantization or args.ann:
        return side_study(Path(args.scifact), args.ann, args.index, args.json)
    if importlib.util.find_spec("txtai") is None:
        print(f"error: txtai, the baseline, is a bench-only extra: install it with `{INSTALL_TXTAI}`", file=sys.stderr)
        return 2
    settings = BenchSettings(seconds_per_load=args.seconds, max_posts=args.max_posts, max_queries=args.max_queries)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as work:
            result = run_benchmark(Path(args.scifact), Path(work), settings, say=lambda line: print(line, flush=True))
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    width = max(len(name) for name in result)
    for name, value in result.items():
        print(f"{name:<{width}}  {value}")
    if args.json:
        print(json.dumps(result))
    return 0


def queries_study(name: str, index: Path, queries: Path, as_json: bool) -> int:
    """One of the side-by-side studies over a queries file (index/bench/listing.py, analytics.py, answers.py)."""
    from index.bench import analytics, answers, listing

    study = {
        "listing_speed": listing.listing_speed,
        "analytics_cost": analytics.analytics_cost,
        "answer_speed": answers.answer_speed,
    }[name]
    result = study(index, queries, say=lambda line: print(line, flush=True))
    print(json.dumps(result) if as_json else "\n".join(f"{k}  {v}" for k, v in result.items()))
    return 0


def load(beir: Path, args: argparse.Namespace, default_seconds: float) -> int:
    """The soak test: zero errors expected, with and without a new version published mid-run."""
    from index.bench.load import load_study

    seconds = 60.0 if args.seconds == default_seconds else args.seconds
    with tempfile.TemporaryDirectory(prefix="bench-load-") as work:
        result = load_study(beir, Path(work), seconds=seconds, max_posts=args.max_posts, say=print)
    for part in ("steady", "with_publish"):
        figures = result[part]
        print(
            f"{part:<13} {figures['requests']} requests, {figures['errors']} errors, p50 {figures['p50_ms']} ms, "
            f"p99 {figures['p99_ms']} ms, {figures['qps']} req/s"
        )
    print(
        f"versions: first {result['first_version']}, published {result['published_version']} after "
        f"{result['published_after_s']} s, served from {result['switched_after_s']} s: {result['served_after']}"
    )
    if args.json:
        print(json.dumps(result))
    return 0 if result["steady"]["errors"] == 0 and result["with_publish"]["errors"] == 0 else 1


def side_study(beir: Path, ann_vectors: int | None, existing: str | None, as_json: bool) -> int:
    """The quantisation table or the large-index study; their SciFact index is kept under var/bench for reuse."""
    work = ROOT / "var" / "bench" / beir.resolve().name
    say = lambda line: print(line, flush=True)  # noqa: E731
    try:
        if ann_vectors:
            from index.bench.ann import ann_table

            rows = [ann_table(beir, work, ann_vectors, Path(existing) if existing else None, say)]
        else:
            from index.bench.quantization import quantization_table

            rows = quantization_table(beir, work, Path(existing) if existing else None, say)
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = list(rows[0])
    print(" | ".join(names))
    for row in rows:
        print(" | ".join(str(row[name]) for name in names))
    if as_json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
