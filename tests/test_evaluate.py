"""scripts/evaluate.py on a tiny BEIR-layout dataset, and the metrics on hand-checkable rankings."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import ir_measures
import pytest

from index.errors import CorpusError
from index.evaluation.beir import load_beir
from index.evaluation.metrics import mean_metrics, ndcg, recall, reciprocal_rank
from index.evaluation.retrieval import evaluate_beir
from index.fusion import FusionSettings
from index.search import Index
from tests.test_cli import run

DOCS = [
    ("d1", "Aspirin and fever", "Aspirin reduces fever and pain in adults with influenza."),
    ("d2", "Statins", "Statins lower blood cholesterol and the risk of heart attack."),
    ("d3", "Hand washing", "Washing hands with soap prevents the spread of infections in hospitals."),
    ("d4", "Sleep", "Adults who sleep less than six hours a night report more daytime fatigue."),
]
QUERIES = [
    ("q1", "does aspirin bring down a fever", {"d1": 1}),
    ("q2", "statins for high cholesterol", {"d2": 1}),
    ("q3", "soap and infection control in hospitals", {"d3": 2, "d1": 0}),
]


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w") as handle:
        for doc_id, title, text in DOCS:
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w") as handle:
        for qid, text, _ in [*QUERIES, ("unjudged", "not in the qrels", {})]:
            handle.write(json.dumps({"_id": qid, "text": text}) + "\n")
    rows = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{g}" for q, _, judged in QUERIES for d, g in judged.items()]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n")
    return folder


def last_json(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_evaluate_prints_a_table_then_the_json_contract_and_a_warm_run_embeds_nothing(tmp_path: Path):
    beir = write_beir(tmp_path / "tiny")
    args = ("scripts/evaluate.py", "--beir", str(beir), "--mode", "bm25", "--work", str(tmp_path / "w"), "--json")
    done = run(*args)
    first = last_json(done)
    assert {"dataset", "mode", "queries", "ndcg@10", "recall@100", "mrr@10"} <= set(first)
    assert (first["dataset"], first["mode"], first["queries"]) == ("tiny", "bm25", 3)
    assert first["ndcg@10"] == first["mrr@10"] == first["recall@100"] == 1.0, "each query's one document is first"
    assert any(line.startswith("ndcg@10") for line in done.stdout.splitlines()[:-1]), "a table comes before the JSON"
    second = last_json(run(*args))
    assert first["embedded"] == len(DOCS) and second["embedded"] == 0
    assert second["ndcg@10"] == first["ndcg@10"]


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_every_mode_finds_each_querys_document_first(tmp_path: Path, encoder, mode: str):
    result = evaluate_beir(write_beir(tmp_path / "tiny"), mode, work_dir=tmp_path / "w", encoder=encoder)
    assert (result["mode"], result["queries"], result["split"]) == (mode, 3, "test")
    assert result["ndcg@10"] == result["mrr@10"] == result["recall@100"] == 1.0


def test_alpha_reaches_every_ranking(tmp_path: Path, encoder, monkeypatch):
    seen = []
    original = Index.rank

    def spy(self, query, k, mode, alpha, *rest):
        seen.append(alpha)
        return original(self, query, k, mode, alpha, *rest)

    monkeypatch.setattr(Index, "rank", spy)
    beir = write_beir(tmp_path / "tiny")
    result = evaluate_beir(beir, "hybrid", work_dir=tmp_path / "w", encoder=encoder, fusion=FusionSettings(alpha=0.25))
    assert result["fusion"]["alpha"] == 0.25 and seen == [0.25] * len(QUERIES)
    for bad in ("1.5", "-0.1", "nan", "half"):
        refused = run("scripts/evaluate.py", "--beir", str(beir), "--alpha", bad)
        assert refused.returncode == 2 and "weight from 0 to 1" in refused.stderr, bad


def test_bad_arguments_and_bad_data_exit_nonzero(tmp_path: Path):
    assert run("scripts/evaluate.py").returncode == 2, "--beir or --squad is required"
    assert run("scripts/evaluate.py", "--beir", "x", "--squad", "y").returncode == 2, "not both"
    missing = run("scripts/evaluate.py", "--beir", str(tmp_path / "nothing"), "--work", str(tmp_path / "w"))
    assert missing.returncode == 2 and "qrels" in missing.stderr
    beir = write_beir(tmp_path / "tiny")
    for split in ("../test", "a/b", ""):
        refused = run("scripts/evaluate.py", "--beir", str(beir), "--split", split)
        assert refused.returncode == 2 and "split name" in refused.stderr, split
    absent = run("scripts/evaluate.py", "--beir", str(beir), "--split", "dev", "--work", str(tmp_path / "w"))
    assert absent.returncode == 2 and "dev.tsv" in absent.stderr


def test_any_split_the_folder_has(tmp_path: Path):
    beir = write_beir(tmp_path / "tiny")
    (beir / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq2\td2\t1\n")
    args = (
        "scripts/evaluate.py",
        "--beir",
        str(beir),
        "--split",
        "dev",
        "--mode",
        "bm25",
        "--work",
        str(tmp_path / "w"),
    )
    result = last_json(run(*args, "--json"))
    assert (result["split"], result["queries"], result["ndcg@10"]) == ("dev", 1, 1.0)


def test_judged_queries_without_text_are_refused(tmp_path: Path):
    beir = write_beir(tmp_path / "tiny")
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq9\td1\t1\n")
    with pytest.raises(CorpusError, match="q9"):
        load_beir(beir)


def test_a_document_with_only_a_title_can_be_found(tmp_path: Path, encoder):
    beir = write_beir(tmp_path / "tiny")
    with (beir / "corpus.jsonl").open("a") as handle:
        handle.write(json.dumps({"_id": "d5", "title": "Vitamin D supplements and hip fractures", "text": " "}) + "\n")
        handle.write(json.dumps({"_id": "d6", "title": "", "text": ""}) + "\n")  # nothing to find it by
    with (beir / "queries.jsonl").open("a") as handle:
        handle.write(json.dumps({"_id": "q4", "text": "vitamin D and fractures of the hip"}) + "\n")
    with (beir / "qrels" / "test.tsv").open("a") as handle:
        handle.write("q4\td5\t1\n")
    dataset = load_beir(beir)
    titled = next(p for p in dataset.posts if p.id == "d5")
    assert (titled.title, titled.text) == (None, "Vitamin D supplements and hip fractures")
    assert next(p for p in dataset.posts if p.id == "d1").title == "Aspirin and fever"
    for mode in ("bm25", "dense", "hybrid"):
        report = evaluate_beir(beir, mode, work_dir=tmp_path / "w", encoder=encoder)
        assert report["ndcg@10"] == 1.0, mode


def test_metrics_by_hand():
    judged = {"a": 1, "b": 2, "z": 0}
    ranking = ["x", "b", "y", "a"]
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg(ranking, judged, 10) == pytest.approx((2 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert ndcg(ranking, judged, 2) == pytest.approx((2 / math.log2(3)) / ideal)
    assert recall(ranking, judged, 3) == 0.5 and recall(ranking, judged, 100) == 1.0
    assert reciprocal_rank(ranking, judged, 10) == 0.5 and reciprocal_rank(ranking, judged, 1) == 0.0
    assert mean_metrics({}, {"q": judged}) == {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}


def test_metrics_agree_with_ir_measures():
    qrels = {"q1": {"a": 1, "b": 2, "c": 0}, "q2": {"d": 1}, "q3": {"e": 1, "f": 1}}
    run_lists = {"q1": ["c", "b", "x", "a"], "q2": [f"n{i}" for i in range(12)] + ["d"], "q3": ["f"]}
    ours = mean_metrics(run_lists, qrels)
    scored = {q: {doc: float(len(docs) - r) for r, doc in enumerate(docs)} for q, docs in run_lists.items()}
    theirs = ir_measures.calc_aggregate(
        [ir_measures.nDCG @ 10, ir_measures.R @ 100, ir_measures.RR @ 10], qrels, scored
    )
    assert ours["ndcg@10"] == pytest.approx(theirs[ir_measures.nDCG @ 10])
    assert ours["recall@100"] == pytest.approx(theirs[ir_measures.R @ 100])
    assert ours["mrr@10"] == pytest.approx(theirs[ir_measures.RR @ 10])
