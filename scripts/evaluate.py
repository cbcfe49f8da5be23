"""Measure retrieval on a BEIR dataset (nDCG@10, Recall@100, MRR@10), or answers (what readers see: shown and right,
shown and wrong, withheld) on a SQuAD file or on questions written for any corpus the build reads (--qa)."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from index import SearchError
from index.fusion import MODES, FusionSettings

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--beir", metavar="DIR", help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv")
    source.add_argument("--squad", metavar="FILE", help="a SQuAD-format JSON file")
    source.add_argument(
        "--qa", metavar="FILE", help='questions as JSON Lines: {"q", "answer"?, "post"?, "kind"?} (with --corpus)'
    )
    parser.add_argument("--corpus", metavar="SOURCE", nargs="+", help="for --qa: what build_index.py reads")
    parser.add_argument("--base-url", metavar="URL", help="for --qa: as build_index.py's --base-url")
    parser.add_argument(
        "--unanswerable", action="store_true", help="for --qa: every question counts as one the corpus cannot answer"
    )
    parser.add_argument(
        "--check", action="store_true", help="for --qa: only check each answer is in its post; exit 1 if any is not"
    )
    parser.add_argument("--mode", choices=MODES, default="hybrid", help="retrieval mode for --beir (default hybrid)")
    parser.add_argument(
        "--split", type=split_name, default="test", help="qrels split: test, train, dev, ... (default test)"
    )
    parser.add_argument(
        "--alpha",
        type=weight,
        default=FusionSettings.alpha,
        help=f"hybrid mode's dense weight, 0 to 1 (default {FusionSettings.alpha}, the service's)",
    )
    parser.add_argument("--work", metavar="DIR", help="where the evaluation index and embedding cache live")
    parser.add_argument("--json", action="store_true", help="no progress bars; the last line is one JSON object")
    args = parser.parse_args(argv)
    if bool(args.qa) != bool(args.corpus):
        parser.error("--qa and --corpus go together")
    fusion = FusionSettings(alpha=args.alpha)
    try:
        if args.beir:
            from index.evaluation.retrieval import evaluate_beir

            beir = Path(args.beir)
            work = Path(args.work) if args.work else ROOT / "var" / "eval" / beir.resolve().name
            result = evaluate_beir(beir, args.mode, args.split, work, progress=not args.json, fusion=fusion)
        elif args.qa:
            from index.evaluation.qa import evaluate_qa, validate_qa, work_dir_for

            corpus = [Path(source) for source in args.corpus]
            if args.check:
                problems = validate_qa(Path(args.qa), corpus, args.base_url)
                print("\n".join(problems) or f"{args.qa}: every answer is in its post")
                return 1 if problems else 0
            work = Path(args.work) if args.work else ROOT / work_dir_for(corpus, args.base_url)
            result = evaluate_qa(
                Path(args.qa),
                corpus,
                work,
                unanswerable=args.unanswerable,
                base_url=args.base_url,
                progress=not args.json,
                fusion=fusion,
            )
            for problem in result["problems"]:
                print(f"warning: {problem}", file=sys.stderr)
        else:
            from index.evaluation.squad import evaluate_squad

            squad = Path(args.squad)
            work = Path(args.work) if args.work else ROOT / "var" / "eval" / f"squad-{squad.stem}"
            result = evaluate_squad(squad, work_dir=work, progress=not args.json, fusion=fusion)
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table({name: value for name, value in result.items() if name not in ("outcomes", "details", "problems")}))
    if "outcomes" in result:
        from index.evaluation.outcomes import render

        print(render(result["outcomes"]))
    if args.json:
        print(json.dumps(result, sort_keys=False))
    return 0


def weight(value: str) -> float:
    """A fusion weight: a number from 0 to 1."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a weight from 0 to 1")
    return number


def split_name(value: str) -> str:
    """A split is a file name under qrels/ (test, train, dev, ...), never a path."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a split name like test, train or dev")
    return value


def table(result: dict[str, Any]) -> str:
    """One `name  value` row per scalar field; nested settings are shown as compact JSON."""
    width = max(len(name) for name in result)
    rows = []
    for name, value in result.items():
        shown = json.dumps(value) if isinstance(value, dict | list) else value
        rows.append(f"{name:<{width}}  {shown}")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
