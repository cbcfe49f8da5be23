"""Export the pinned model to ONNX once per weights sha256, checked against sentence-transformers before use."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.errors import ModelError
from index.modelspec import ModelSpec, embedder_spec, file_sha256, verified_model_dir

ONNX_FILE = "model.onnx"
QUERY_FILE = "model.int8.onnx"
# How the query model is quantised; part of its cache path, so a changed recipe never reuses an older file.
QUERY_RECIPE = "dynamic-per-channel"
# Under the index root, beside the embedding cache: one export per weights sha256, shared by every version.
MODEL_CACHE_DIR = Path("cache") / "models"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "sentence_embedding"
MIN_COSINE = 0.9999
# Short and long texts, so the check covers padding within a batch and truncation at the model's limit.
CHECK_TEXTS = (
    "covid vaccine",
    "What is the effect of statins on heart disease in older adults?",
    "Leadership in the NHS means listening to staff. " * 3,
    "Health equity research " * 150,
)
_exported_in_this_process: dict[str, Path] = {}


def cached_onnx_model(cache_dir: Path, spec: ModelSpec | None = None) -> Path:
    """The model as ONNX under cache_dir/<weights sha256>/, exported and checked the first time it is asked for."""
    spec = spec or embedder_spec()

    def export(partial: Path) -> None:
        export_onnx(verified_model_dir(spec), partial)
        check_against_sentence_transformers(partial, spec)

    return _cached_file(cache_dir / spec.sha256 / ONNX_FILE, spec.sha256, export)


def cached_query_model(cache_dir: Path, spec: ModelSpec | None = None) -> Path:
    """The dynamic per-channel int8 model queries are embedded with, made from the cached fp32 export once.

    On SciFact its queries lose at most 0.003 nDCG@10 against fp32 on train and test, dense and hybrid (one scale
    per tensor lost 0.005-0.007 on train); passages stay fp32 (int8 passages lose 0.018). `scripts/bench.py
    --quantization` measures it.
    """
    from index.quantize import dynamic_int8

    spec = spec or embedder_spec()
    fp32 = cached_onnx_model(cache_dir, spec)
    return _cached_file(
        fp32.parent / QUERY_RECIPE / QUERY_FILE,
        QUERY_FILE + QUERY_RECIPE + spec.sha256,
        lambda partial: dynamic_int8(fp32, partial, per_channel=True),
    )


def _cached_file(target: Path, key: str, make: Callable[[Path], None]) -> Path:
    """target, made by `make` into a temporary name and renamed into place, with its sha256 in a sidecar file.

    A second root in the same process (tests build into fresh roots often) copies this process's earlier file
    instead of making it again.
    """
    if _intact(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    earlier = _exported_in_this_process.get(key)
    try:
        if earlier is not None and _intact(earlier):
            shutil.copyfile(earlier, partial)
        else:
            make(partial)
        digest = file_sha256(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _sidecar(target).write_text(digest + "\n", encoding="utf-8")
    _exported_in_this_process[key] = target
    return target


def place_model(source: Path, folder: Path) -> Path:
    """Put a cached ONNX model into a version folder: a hard link where the filesystem allows, else a copy."""
    target = folder / source.name
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def export_onnx(model_folder: Path, target: Path) -> None:
    """Transformer, mean pooling and L2 normalisation in one graph with dynamic batch and sequence axes."""
    import torch
    from sentence_transformers import SentenceTransformer

    class Embedder(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    model = SentenceTransformer(str(model_folder), device="cpu", local_files_only=True)
    embedder = Embedder(model[0].auto_model).eval()
    sample = torch.ones(2, 8, dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS} | {OUTPUT: {0: "batch"}}
    # The TorchScript exporter is deprecated and warns while tracing; its graph is checked numerically instead.
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            embedder,
            (sample, sample, torch.zeros_like(sample)),
            str(target),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def check_against_sentence_transformers(onnx_path: Path, spec: ModelSpec | None = None) -> float:
    """The lowest cosine between ONNX and sentence-transformers vectors of CHECK_TEXTS; refuses below MIN_COSINE."""
    from index.encoder import SentenceTransformerEncoder
    from index.onnx_encoder import OnnxEncoder

    spec = spec or embedder_spec()
    texts = list(CHECK_TEXTS)
    expected = SentenceTransformerEncoder(spec).encode(texts)
    actual = OnnxEncoder(onnx_path, spec).encode(texts)
    lowest = float(np.min(np.sum(expected * actual, axis=1)))
    if lowest < MIN_COSINE:
        raise ModelError(
            f"the ONNX export of {spec.model_id} disagrees with sentence-transformers (cosine {lowest:.6f}); "
            "check the installed torch and onnxruntime versions against pyproject.toml"
        )
    return lowest


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _intact(target: Path) -> bool:
    """Whether a cached export exists and still has the sha256 recorded when it was written."""
    sidecar = _sidecar(target)
    if not (target.is_file() and sidecar.is_file()):
        return False
    return file_sha256(target) == sidecar.read_text(encoding="utf-8").strip()
