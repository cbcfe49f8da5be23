"""Fit the answer confidence on several corpora at once, print the leave-one-corpus-out table and the fitted model.

Groups (each weighs the same): SQuAD v1.1 and v2.0 questions from the tuning half of their articles, the Go blog and
bundled development sets over their corpora, and two sets of questions asked of a corpus that cannot answer them.
The examples are cached in --examples; --reuse fits again from them without asking anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from index.evaluation.confidence_fit import (
    Example,
    best_threshold,
    confidences,
    describe,
    fit,
    leave_one_out,
    load,
    qa_examples,
    save,
    squad_examples,
    table,
    today,
)

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the folder holding data/")
    parser.add_argument("--count", type=int, default=800, help="SQuAD questions per version (default 800)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--examples", type=Path, default=ROOT / "var" / "eval" / "confidence-examples.jsonl")
    parser.add_argument("--reuse", action="store_true", help="fit from the cached examples")
    parser.add_argument("--json", action="store_true", help="no progress bars; the last line is one JSON object")
    args = parser.parse_args(argv)
    progress = not args.json
    if args.reuse:
        examples = load(args.examples)
    else:
        examples = collect(args.shared, args.count, args.seed, progress)
        save(examples, args.examples)
    result: dict[str, Any] = {
        "today": today(examples),
        "leave_one_out": leave_one_out(examples),
    }
    model = fit(examples)
    threshold = best_threshold()
    result["fitted_on_all"] = {
        "model": {"bias": model.bias, "weights": list(model.weights)},
        "threshold": round(threshold, 3),
        "in_sample": {
            g: table(
                [e for e in examples if e.group == g],
                confidences(model, [e for e in examples if e.group == g]),
                threshold,
            )
            for g in sorted({e.group for e in examples})
        },
    }
    for name in ("today", "leave_one_out"):
        print(f"\n{name}")
        for group, row in result[name].items():
            print(f"  {group:<24} {json.dumps(row)}")
    print(f"\nfitted on all: threshold {threshold:.3f}\n  {describe(model)}")
    if args.json:
        print(json.dumps(result))
    return 0


def collect(shared: Path, count: int, seed: int, progress: bool) -> list[Example]:
    data = shared / "data"
    goblog, bundled = data / "goblog", ROOT / "data" / "corpus"
    examples = squad_examples(data / "squad" / "dev-v1.1.json", "squad-v1.1", count, seed, progress)
    examples += squad_examples(data / "squad" / "dev-v2.0.json", "squad-v2.0", count, seed, progress)
    examples += qa_examples(ROOT / "eval" / "goblog.jsonl", [goblog], "goblog", False, progress)
    examples += qa_examples(ROOT / "eval" / "bundled.jsonl", [bundled], "bundled", False, progress)
    examples += qa_examples(ROOT / "eval" / "goblog.jsonl", [bundled], "goblog-asked-of-bundled", True, progress)
    examples += qa_examples(ROOT / "eval" / "squad-questions.jsonl", [goblog], "squad-asked-of-goblog", True, progress)
    return examples


if __name__ == "__main__":
    sys.exit(main())
