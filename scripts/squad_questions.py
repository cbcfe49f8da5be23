"""Write a sample of a SQuAD file's questions as --qa lines without answers: questions to ask of another corpus,
which cannot answer them (eval/squad-questions.jsonl was made with the defaults).

    .venv/bin/python scripts/squad_questions.py [FILE] [--count N] [--out eval/squad-questions.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from index import SearchError
from index.evaluation.qa import squad_sample
from index.evaluation.squad import load_squad

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", default=str(ROOT.parent / "shared" / "data" / "squad" / "dev-v1.1.json"))
    parser.add_argument("--count", type=int, default=200, help="how many questions, spread evenly (default 200)")
    parser.add_argument("--out", default=str(ROOT / "eval" / "squad-questions.jsonl"))
    args = parser.parse_args(argv)
    try:
        lines = squad_sample(load_squad(Path(args.file)), args.count)
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    Path(args.out).write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} questions of {args.file} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
