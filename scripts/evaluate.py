"""Measure retrieval on a BEIR dataset (nDCG@10, Recall@100, MRR@10) or answers on a SQuAD file."""

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
    fusion = FusionSettings(alpha=args.alpha)
    try:
        if args.beir:
            from index.evaluation.retrieval import evaluate_beir

            beir = Path(args.beir)
            work = Path(args.work) if args.work else ROOT / "var" / "eval" / beir.resolve().name
            result = evaluate_beir(beir, args.mode, args.split, work, progress=not args.json, fusion=fusion)
        else:
            from index.evaluation.squad import evaluate_squad

            squad = Path(args.squad)
            work = Path(args.work) if args.work else ROOT / "var" / "eval" / f"squad-{squad.stem}"
            result = evaluate_squad(squad, work_dir=work, progress=not args.json, fusion=fusion)
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table(result))
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
