"""Read a BEIR-layout dataset (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) as posts, queries and judgments."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from index.errors import CorpusError
from index.jsonl import LineError, rows
from index.records import Post

Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True)
class BeirDataset:
    """The corpus as posts, the split's judged queries, and their judgments (query id -> doc id -> grade)."""

    name: str
    split: str
    posts: list[Post]
    queries: dict[str, str]
    qrels: Qrels


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    """The dataset in folder; only queries judged in the split are kept, in qrels order."""
    folder = Path(folder)
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    texts = {row["_id"]: row.get("text", "") for row in _read_jsonl(folder / "queries.jsonl")}
    unknown = [qid for qid in qrels if qid not in texts]
    if unknown:
        raise CorpusError(str(folder / "queries.jsonl"), None, f"no text for judged queries {unknown[:5]}")
    posts = [_post(row) for row in _read_jsonl(folder / "corpus.jsonl")]
    return BeirDataset(folder.name, split, posts, {qid: texts[qid] for qid in qrels}, qrels)


def _post(row: dict) -> Post:
    """A corpus row as a post. A document with a title but no text (BEIR has them: TREC-COVID's papers without an
    abstract) is its title, as text, so that it has a passage to be found by; without one it could never rank."""
    title = str(row.get("title") or "").strip() or None
    text = str(row.get("text") or "")
    if title and not text.strip():
        return Post(id=row["_id"], title=None, text=title, source="beir")
    return Post(id=row["_id"], title=title, text=text, source="beir")


def read_qrels(path: Path) -> Qrels:
    """query-id, corpus-id, score rows (tab-separated, one header line)."""
    if not path.is_file():
        raise CorpusError(str(path), None, "no such qrels file; a BEIR folder has qrels/<split>.tsv")
    qrels: Qrels = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows, None)
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                raise CorpusError(str(path), line, "expected query-id <tab> corpus-id <tab> integer score")
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def _read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise CorpusError(str(path), None, "no such file; a BEIR folder has corpus.jsonl and queries.jsonl")
    found = []
    try:
        for line, row in rows(path):
            if "_id" not in row:
                raise CorpusError(str(path), line, "a row needs an `_id`")
            row["_id"] = str(row["_id"])
            found.append(row)
    except LineError as exc:
        if not isinstance(exc.cause, json.JSONDecodeError):
            raise exc.cause or exc from None
        raise CorpusError(str(path), exc.line, f"not valid JSON ({exc.cause.msg})") from None
    return found
