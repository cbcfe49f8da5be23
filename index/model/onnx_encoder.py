"""The model on onnxruntime + tokenizers: the torch-free encoder the service embeds queries with."""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tqdm import tqdm

from index.errors import IndexFormatError, ModelError
from index.model.encoder import load_tokenizer
from index.model.spec import ModelSpec, embedder_spec, verified_model_dir
from index.store import ONNX_FILE, QUERY_FILE

DEFAULT_MAX_TOKENS = 256


class OnnxEncoder:
    """An exported ONNX graph (transformer, mean pooling, normalisation) fed by the model's own tokenizer.

    `threads` is onnxruntime's intra-op thread count: 1 for the service, where each request runs on its own
    thread, more for a build that embeds one batch at a time.
    """

    def __init__(self, model_path: Path, spec: ModelSpec | None = None, threads: int = 1) -> None:
        self.spec = spec or embedder_spec()
        self.model_path = Path(model_path)
        folder = verified_model_dir(self.spec)
        self.model_id = self.spec.model_id
        # The graph is exported from these weights; the index manifest checks the graph file itself.
        self.weights_sha256 = self.spec.sha256
        self.max_tokens = _max_seq_length(folder)
        self.tokenizer = load_tokenizer(folder)
        self.tokenizer.enable_truncation(self.max_tokens)
        self.session = _session(self.model_path, threads)
        self.dimension = int(self.session.get_outputs()[0].shape[-1])
        self.outputs = [self.session.get_outputs()[0].name]

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors; texts are batched by length so a batch pads to few extra tokens."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) == 1:  # a query: the service's hot path, without the batching's set-up
            input_ids = np.array([self.tokenizer.encode(texts[0]).ids], dtype=np.int64)
            return self._feed(input_ids, np.ones_like(input_ids))
        encodings = self.tokenizer.encode_batch(texts) if len(texts) > 1 else [self.tokenizer.encode(texts[0])]
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in tqdm(range(0, len(order), batch_size), desc="embedding", unit="batch", disable=not progress):
            chosen = order[start : start + batch_size]
            vectors[chosen] = self._run([encodings[i].ids for i in chosen])
        return vectors

    def _run(self, token_ids: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in token_ids)
        input_ids = np.zeros((len(token_ids), width), dtype=np.int64)
        attention_mask = np.zeros_like(input_ids)
        for row, ids in enumerate(token_ids):
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1
        return self._feed(input_ids, attention_mask)

    def _feed(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": np.zeros_like(input_ids)}
        return self.session.run(self.outputs, feeds)[0]


class OneAtATimeEncoder:
    """A graph that embeds each text alone, as the service embeds a query, on `workers` threads at once.

    For the int8 query graph: its activation scales are taken over the whole input, so a text batched with others
    gets a vector that depends on its neighbours (cosine 0.98-0.99 to its own); alone, its vector is a function of
    its text, made the way a query's is. onnxruntime lets the threads run the one session side by side.
    `cache_key` files its vectors in the embedding cache apart from those of other graphs of the same weights.
    """

    CHUNK = 256  # texts per task: the progress bar's step

    def __init__(self, model_path: Path, cache_key: str, workers: int = 1) -> None:
        self.encoder = OnnxEncoder(model_path, threads=1)
        self.model_id, self.dimension = self.encoder.model_id, self.encoder.dimension
        self.weights_sha256, self.cache_key = self.encoder.weights_sha256, cache_key
        self.workers = max(workers, 1)

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Normalised float32 vectors, each text embedded alone (batch_size is not used)."""
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)

        def embed(start: int) -> int:
            for row in range(start, min(start + self.CHUNK, len(texts))):
                vectors[row] = self.encoder.encode([texts[row]])[0]
            return min(self.CHUNK, len(texts) - start)

        with (
            ThreadPoolExecutor(self.workers) as pool,
            tqdm(total=len(texts), desc="embedding sentences", unit="text", disable=not progress) as bar,
        ):
            for done in pool.map(embed, range(0, len(texts), self.CHUNK)):
                bar.update(done)
        return vectors


def _session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped Fail/InvalidGraph errors
        raise ModelError(f"{path} cannot be loaded by onnxruntime ({exc}); rebuild the index") from None


def _max_seq_length(folder: Path) -> int:
    """The word-piece limit sentence-transformers truncates at, from the model's own config."""
    config = folder / "sentence_bert_config.json"
    if not config.is_file():
        return DEFAULT_MAX_TOKENS
    return int(json.loads(config.read_text(encoding="utf-8")).get("max_seq_length", DEFAULT_MAX_TOKENS))


def version_query_encoder(folder: Path, listed_files: Iterable[str], threads: int = 1) -> OnnxEncoder:
    """The query encoder a version ships (its manifest has checked the file): int8 where the build made one."""
    for name in (QUERY_FILE, ONNX_FILE):
        if name in listed_files:
            return OnnxEncoder(folder / name, threads=threads)
    raise IndexFormatError(
        f"{folder} has no {ONNX_FILE} (built before the service embedded queries with onnxruntime); "
        "rebuild the index with `python scripts/build_index.py`"
    )
