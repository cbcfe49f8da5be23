"""Tune hybrid retrieval on a BEIR set's train queries; report test once per configuration.

Every query's signals (passage cosine, best-sentence cosine, BM25) are computed once and cached under --cache;
each variant is then scored in numpy. Settings are chosen on train only: the best train nDCG@10 in each family,
and overall, is marked; test figures are printed for every row but choose nothing.

    .venv/bin/python scripts/tune_retrieval.py [--data ../shared/data/scifact] [--index var/eval/scifact]
        [--encoder int8|fp32] [--cache /tmp/tune_retrieval]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from index.build import lexical_text
from index.evaluation import tuning
from index.evaluation.beir import load_beir
from index.lexical import analyse
from index.model.onnx_encoder import OnnxEncoder
from index.model.quantize import dynamic_int8
from index.search import Index
from index.sentence_vectors import SentenceTable
from index.store import ONNX_FILE, QUERY_FILE

ROOT = Path(__file__).resolve().parent.parent
ALPHA = tuning.SERVICE.alpha  # the service's dense weight; the sentence families split it between passage and sentence
OTHER_CUES = "other cues, each added to the service's ranking"
# family, configuration, train metrics, test metrics, train nDCG@10 per query
Row = tuple[str, str, dict[str, float], dict[str, float], np.ndarray]
Score = Callable[[np.ndarray], tuple[dict[str, float], dict[str, float], np.ndarray]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "scifact")
    parser.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "scifact")
    parser.add_argument("--encoder", choices=("int8", "fp32"), default="int8", help="query encoder (default int8)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/tune_retrieval"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    train, test = load_beir(args.data, "train"), load_beir(args.data, "test")
    index = Index.open(args.index, encoder=query_encoder(args.index, args.encoder, args.cache))
    table = index.sentences
    if table is None:
        parser.error(f"{index.folder} has no stored sentence vectors; rebuild it with this version of the code")
    qids, texts = [*train.queries, *test.queries], [*train.queries.values(), *test.queries.values()]
    signals = cached_signals(index, texts, args.cache / f"{index.version}-{args.encoder}.npz")
    post_ids = np.array([p.post_id for p in index.passages])
    starts = np.flatnonzero(np.r_[True, post_ids[1:] != post_ids[:-1]])
    assert len(set(post_ids[starts])) == len(starts), "a post's passages must be contiguous"
    cut = len(train.qrels)

    def score(doc_scores: np.ndarray) -> tuple[dict[str, float], dict[str, float], np.ndarray]:
        on_train = tuning.rankings(doc_scores[:cut], post_ids[starts], qids[:cut])
        on_test = tuning.rankings(doc_scores[cut:], post_ids[starts], qids[cut:])
        return (
            tuning.metrics(on_train, train.qrels),
            tuning.metrics(on_test, test.qrels),
            tuning.ndcg_per_query(on_train, train.qrels),
        )

    rows = run_families(signals, index, table, texts, starts, score)
    qrels = [*(train.qrels[q] for q in qids[:cut]), *(test.qrels[q] for q in qids[cut:])]
    others, notes = run_other_signals(signals, index, texts, starts, score, qrels, cut, args.cache)
    print_table(rows + others, args.encoder)
    print("\n".join(notes))
    print_cost(signals, index, table)


def query_encoder(root: Path, kind: str, cache: Path) -> OnnxEncoder:
    """The version's fp32 graph, or its int8 query graph (made from the fp32 one under cache when it has none).

    The service's default since this script chose it: sentence rerank of the fused top 100, share 0.75 (a tie on
    train nDCG@10 with share 0.5, broken by train MRR@10; fp32 queries pick 0.75 too).
    """
    from index import store

    folder = store.current_version(root)
    if kind == "fp32":
        return OnnxEncoder(folder / ONNX_FILE)
    int8 = folder / QUERY_FILE
    if not int8.is_file():
        int8 = cache / f"{folder.name}-{QUERY_FILE}"
        if not int8.is_file():
            dynamic_int8(folder / ONNX_FILE, int8, per_channel=True)  # the recipe of cached_query_model
    return OnnxEncoder(int8)


def cached_signals(index: Index, texts: list[str], path: Path) -> tuning.Signals:
    """Query vectors and BM25 scores from the cache when present; cosines are recomputed (a few seconds)."""
    if not path.is_file():
        signals = tuning.index_signals(index, texts)
        np.savez(path, queries=signals.queries, bm25=signals.bm25)
        return signals
    with np.load(path) as data:
        queries, bm25 = data["queries"], data["bm25"]
    return tuning.with_queries(tuning.Signals(queries, queries, queries, bm25), index, queries)


def mix(share: float, alpha: float = ALPHA) -> tuning.Weights:
    """alpha split between passage and sentence cosine by share; 1 - alpha on BM25."""
    return (round(alpha * (1 - share), 3), round(alpha * share, 3), round(1 - alpha, 3))


def run_families(
    signals: tuning.Signals,
    index: Index,
    table: SentenceTable,
    texts: list[str],
    starts: np.ndarray,
    score: Score,
) -> list[Row]:
    """Every configuration's train and test metrics; later families build on the sentence family's train best."""
    rows: list[Row] = []

    def add(family: str, name: str, passage_scores: np.ndarray, aggregate: bool = True) -> None:
        rows.append((family, name, *score(tuning.doc_max(passage_scores, starts) if aggregate else passage_scores)))

    for alpha in (0.5, 0.6, 0.7):
        add(
            "no sentence evidence: z-score fusion, doc = best passage",
            f"alpha {alpha}",
            tuning.fuse(signals, mix(0, alpha)),
        )
    for share in (0.25, 0.5, 0.75, 1.0):
        add(
            f"sentence evidence (share of alpha {ALPHA})",
            f"share {share} -> w {mix(share)}",
            tuning.fuse(signals, mix(share)),
        )
    for wb in (3, 4, 5):  # tenths
        for wd in range(10 - wb):
            weights = (wd / 10, (10 - wb - wd) / 10, wb / 10)
            add("3-signal weight grid (passage, sentence, bm25)", f"w {weights}", tuning.fuse(signals, weights))
    for top in (100, 300, tuning.DEPTH * 3):  # the last is every candidate: the union is never that long here
        for share in (0.5, 0.75, 1.0):
            reranked = tuning.rerank(signals, mix(0), mix(share), top)
            add("sentence rerank of the fused top N passages", f"N {top}, share {share}", reranked)
    for share in (0.0, 0.5, 0.75):
        add(
            "doc-level fusion (max per signal, then fuse)",
            f"share {share}",
            tuning.doc_level(signals, mix(share), starts),
            aggregate=False,
        )
    base = max((mix(s) for s in (0.0, 0.25, 0.5, 0.75, 1.0)), key=lambda w: score_of(rows, w))
    fused = tuning.fuse(signals, base)
    for temperature in (0.1, 0.3, 1.0):
        add(
            "soft-max over passages (on sentence best)",
            f"T {temperature}",
            tuning.doc_softmax(fused, starts, temperature),
            aggregate=False,
        )
    for k in (3, 5, 10):
        for beta in (0.25, 0.5):
            moved = tuning.dense_feedback(signals, fused, tuning.passage_vectors(index), k, beta)
            add(
                "dense Rocchio from fused top k (on sentence best)",
                f"k {k}, beta {beta}",
                tuning.fuse(tuning.with_queries(signals, index, moved), base),
            )
    matrix = tuning.bm25_matrix(index.lexical)
    terms = tuning.query_terms(index.lexical, texts, matrix.shape[1])
    for k in (3, 10):
        for weight in (0.2, 0.4):
            bm25 = tuning.bm25_feedback(matrix, terms, fused, k, 30, weight)
            add(
                "BM25 RM3-style, 30 terms from fused top k (on sentence best)",
                f"k {k}, weight {weight}",
                tuning.fuse(replace(signals, bm25=bm25), base),
            )
    return rows


def run_other_signals(
    signals: tuning.Signals,
    index: Index,
    texts: list[str],
    starts: np.ndarray,
    score: Score,
    qrels: list[dict],
    cut: int,
    cache: Path,
) -> tuple[list[Row], list[str]]:
    """Cues beyond the three signals, each added to the service's ranking; then a linear mix of all of them
    learned on train (coordinate ascent on nDCG@10), with its 5-fold cross-validated gain on train printed."""
    rows: list[Row] = []
    post_ids = np.array([p.post_id for p in index.passages])
    passage_doc = np.cumsum(np.r_[0, post_ids[1:] != post_ids[:-1]])
    doc_ids = post_ids[starts]

    def add(name: str, passage_scores: np.ndarray) -> None:
        rows.append((OTHER_CUES, name, *score(tuning.doc_max(passage_scores, starts))))

    served = tuning.service_ranking(signals)
    add("none (the service: sentence rerank of the top 100)", served)
    titles = title_vectors(index, doc_ids, cache)
    title = tuning.dense_scaled(signals, (signals.queries @ titles.T)[:, passage_doc])
    for weight in (0.05, 0.1, 0.2):
        add(f"title cosine x {weight}", tuning.with_bonus(served, weight, title))
    matrix = tuning.bm25_matrix(index.lexical)
    covered = tuning.coverage(matrix, tuning.query_terms(index.lexical, texts, matrix.shape[1]))
    for weight in (0.1, 0.3, 0.5):
        add(f"idf-weighted query-term coverage x {weight}", tuning.with_bonus(served, weight, covered))
    passage_terms = analyse([lexical_text(index.posts[p.post_id], p) for p in index.passages])
    query_terms = analyse(texts)
    pairs = tuning.bm25_of_tokens(
        [tuning.term_pairs(t, 8) for t in passage_terms], [tuning.term_pairs(t, 8) for t in query_terms]
    )
    proximity = tuning.zscore(pairs, tuning.top_mask(pairs, positive=True))
    for weight in (0.05, 0.1, 0.2):
        add(f"BM25 of term pairs within 8 words, z x {weight}", tuning.with_bonus(served, weight, proximity))
    whole = tuning.bm25_of_tokens(document_terms(passage_terms, passage_doc), query_terms)[:, passage_doc]
    for share in (0.5, 1.0):
        mixed = replace(signals, bm25=share * whole + (1 - share) * signals.bm25)
        add(f"BM25 of the whole post, share {share}", tuning.service_ranking(mixed))
    service_row, *cues = rows
    best = max(cues, key=lambda r: r[2]["ndcg@10"])
    gain = best[4] - service_row[4]
    notes = [
        f"best other cue on train: {best[1]}: {gain.mean():+.4f} over the service "
        f"(paired standard error {gain.std(ddof=1) / np.sqrt(len(gain)):.4f}); test {best[3]['ndcg@10']:.4f} "
        f"against {service_row[3]['ndcg@10']:.4f}"
    ]
    row, note = learned_mix(signals, [title, covered, proximity, whole], passage_doc, doc_ids, qrels, cut, score)
    return [*rows, row], [*notes, note]


def title_vectors(index: Index, doc_ids: np.ndarray, cache: Path) -> np.ndarray:
    """Each post's title embedded by the version's fp32 passage model (cached: about 20 s for 5,000 titles)."""
    path = cache / f"{index.version}-titles.npy"
    if path.is_file():
        return np.load(path)
    encoder = OnnxEncoder(index.folder / ONNX_FILE, threads=2)
    vectors = encoder.encode([index.posts[d].title or "" for d in doc_ids])
    np.save(path, vectors)
    return vectors


def document_terms(passage_terms: list[list[str]], passage_doc: np.ndarray) -> list[list[str]]:
    """A post's terms: its passages' terms joined (overlapping windows count their shared words twice)."""
    out: list[list[str]] = [[] for _ in range(int(passage_doc[-1]) + 1)]
    for terms, doc in zip(passage_terms, passage_doc, strict=True):
        out[doc].extend(terms)
    return out


def learned_mix(
    signals: tuning.Signals,
    others: list[np.ndarray],
    passage_doc: np.ndarray,
    doc_ids: np.ndarray,
    qrels: list[dict],
    cut: int,
    score: Score,
) -> tuple[Row, str]:
    """Weights for 9 features (z-scored passage, sentence and BM25 scores, both sides' reciprocal ranks, title
    cosine, coverage, pairs, whole-post BM25), starting from the service's weights (here with sentence evidence for
    every candidate, not only the top 100); its 5-fold cross-validated gain on train first."""
    dense_top, bm25_top = tuning.top_mask(signals.dense), tuning.top_mask(signals.bm25, positive=True)
    features = [
        tuning.zscore(signals.dense, dense_top),
        tuning.dense_scaled(signals, signals.sentence),
        tuning.zscore(signals.bm25, bm25_top),
        60 * reciprocal_ranks(signals.dense, dense_top),
        60 * reciprocal_ranks(signals.bm25, bm25_top),
        *others[:3],
        tuning.zscore(others[3], tuning.top_mask(others[3], positive=True)),
    ]
    candidates = tuning.Candidates.of(features, dense_top | bm25_top, passage_doc)
    start = np.array([*tuning.split_alpha(ALPHA, tuning.SERVICE.sentence_share), 0, 0, 0, 0, 0, 0], np.float32)
    train_rows = np.arange(cut)
    gains = []
    for held in np.array_split(np.random.default_rng(0).permutation(train_rows), 5):
        fit = np.setdiff1d(train_rows, held)
        fitted, _ = tuning.coordinate_ascent(partial(candidates.mean_ndcg, fit, doc_ids=doc_ids, qrels=qrels), start)
        gains.append(
            candidates.mean_ndcg(held, fitted, doc_ids, qrels) - candidates.mean_ndcg(held, start, doc_ids, qrels)
        )
    weights, _ = tuning.coordinate_ascent(lambda w: candidates.mean_ndcg(train_rows, w, doc_ids, qrels), start)
    note = (
        f"learned mix of 9 features: held-out train gain over the service's weights {np.mean(gains):+.4f} "
        f"(5 folds: {', '.join(f'{g:+.4f}' for g in gains)}); "
        f"all-train weights {np.round(weights.astype(float), 2).tolist()}"
    )
    row = ("learned linear mix (coordinate ascent on train)", "9 features, weights fitted on all of train")
    return (*row, *score(candidates.scores(weights))), note


def reciprocal_ranks(scores: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """1 / (60 + rank) of each candidate in its row (0 elsewhere), as reciprocal rank fusion counts it."""
    order = np.argsort(-np.where(candidates, scores, -np.inf), axis=1)
    ranks = np.empty(scores.shape, np.float32)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(scores.shape[1], dtype=np.float32), scores.shape), axis=1)
    return np.where(candidates, 1.0 / (60.0 + ranks), 0.0)


def score_of(rows: list[Row], weights: tuning.Weights) -> float:
    """Train nDCG@10 of the row whose name shows these weights (the current alpha 0.6 row for share 0)."""
    name = f"-> w {weights}" if weights[1] else f"alpha {ALPHA}"
    return next(r[2]["ndcg@10"] for r in rows if r[1].endswith(name))


def print_table(rows: list[Row], encoder: str) -> None:
    """One line per configuration; * marks each family's train best, ** the overall train best."""
    overall = max(rows, key=lambda r: r[2]["ndcg@10"])
    print(f"query encoder: {encoder}; nDCG@10 / R@100 / MRR@10; chosen on train only")
    print(
        f"{'':2} {'configuration':62} {'train nDCG':>10} {'R@100':>6} {'MRR':>6} | "
        f"{'test nDCG':>9} {'R@100':>6} {'MRR':>6}"
    )
    family = None
    for row in rows:
        if row[0] != family:
            family = row[0]
            best = max((r for r in rows if r[0] == family), key=lambda r: r[2]["ndcg@10"])
            print(f"-- {family}")
        mark = "**" if row is overall else "*" if row is best else ""
        tr, te = row[2], row[3]
        print(
            f"{mark:2} {row[1]:62} {tr['ndcg@10']:10.4f} {tr['recall@100']:6.4f} {tr['mrr@10']:6.4f} | "
            f"{te['ndcg@10']:9.4f} {te['recall@100']:6.4f} {te['mrr@10']:6.4f}"
        )
    print(
        f"winner (train): {overall[0]}: {overall[1]}: "
        f"train {overall[2]['ndcg@10']:.4f}, test {overall[3]['ndcg@10']:.4f}"
    )
    current = next(r for r in rows if r[1] == f"alpha {ALPHA}")
    gain = overall[4] - current[4]
    print(
        f"train gain over alpha {ALPHA} without sentence evidence: {gain.mean():+.4f} "
        f"(paired standard error {gain.std(ddof=1) / np.sqrt(len(gain)):.4f}, {len(gain)} queries)"
    )


def print_cost(signals: tuning.Signals, index: Index, table: SentenceTable, repeats: int = 200) -> None:
    """Extra milliseconds per query on one thread: every sentence scored, or only the top 100 passages'."""
    queries = signals.queries[:repeats]
    first = table.first
    widened = table.vectors_of(range(len(table.passage)))
    with threadpool_limits(1):
        started = time.perf_counter()
        for query in queries:
            np.maximum.reduceat(widened @ query, first[:-1])
        full = time.perf_counter() - started
        started = time.perf_counter()
        for row, query in enumerate(queries):
            top = np.argpartition(-signals.dense[row], 100)[:100]
            spans = [np.arange(first[p], first[p + 1]) for p in top]
            cosines = table.vectors_of(np.concatenate(spans)) @ query
            np.maximum.reduceat(cosines, np.cumsum([0, *map(len, spans[:-1])]))
        partial = time.perf_counter() - started
    print(
        f"extra cost per query (1 thread): all sentences {1000 * full / len(queries):.2f} ms, "
        f"top-100 passages' sentences {1000 * partial / len(queries):.2f} ms"
    )


if __name__ == "__main__":
    main()
