"""Write a BEIR corpus (corpus.jsonl) as posts JSONL that build_index.py reads, to time builds on it.

`--posts N` above the corpus size repeats documents under new ids ("<id>-2"): a corpus of any size from real texts,
whose copies embed as their originals do (an embedding cache filled by the corpus itself serves them), so what a
build of it spends beyond embedding can be timed at that size.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from index import SearchError
from index.evaluation.beir import load_beir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("beir", help="a BEIR folder (corpus.jsonl; queries.jsonl and qrels/test.tsv are read too)")
    parser.add_argument("out", help="the JSONL file to write")
    parser.add_argument("--posts", type=int, help="how many posts to write (default: the corpus's documents)")
    args = parser.parse_args(argv)
    try:
        posts = load_beir(Path(args.beir)).posts
    except SearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    count = args.posts or len(posts)
    with Path(args.out).open("w", encoding="utf-8") as handle:
        for number in range(count):
            post, copy = posts[number % len(posts)], number // len(posts) + 1
            row = {"id": post.id if copy == 1 else f"{post.id}-{copy}", "title": post.title, "text": post.text}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {count} posts to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
