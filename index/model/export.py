"""Export the pinned model to ONNX once per weights sha256, checked against sentence-transformers before use."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ModelError
from index.model.encoder import SentenceTransformerEncoder
from index.model.onnx_encoder import OnnxEncoder
from index.model.spec import ModelSpec, embedder_spec, file_sha256, verified_model_dir
from index.store import EXTERNAL_DATA_SUFFIX, ONNX_FILE, QUERY_FILE

# How the query model is quantised; part of its cache path, so a changed recipe never reuses an older file.
QUERY_RECIPE = "dynamic-per-channel-mapped-embeddings"
# How the graph builds embed passages with is made; likewise part of its cache path.
BUILD_RECIPE = "eager-attention-fused"
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
    spec = spec or embedder_spec()
    fp32 = cached_onnx_model(cache_dir, spec)
    return _cached_file(
        fp32.parent / QUERY_RECIPE / QUERY_FILE,
        QUERY_FILE + QUERY_RECIPE + spec.sha256,
        lambda partial: _make_query_model(fp32, partial),
    )


def cached_build_model(cache_dir: Path, spec: ModelSpec | None = None) -> Path:
    """The fp32 graph builds embed passages with: the model exported with eager attention, whose pattern
    onnxruntime's transformer optimizer fuses into Attention, EmbedLayerNormalization, SkipLayerNormalization and
    BiasGelu nodes (the default scaled-dot-product export leaves nothing for it to fuse).

    On 2 cores it embeds SciFact passages about 20% faster than the plain export (61 against 50 a second, batches
    of 16), with vectors at cosine 0.999999 to it; it is checked against sentence-transformers like the plain one.
    Queries keep the int8 model made from the plain export: fused int8 attention was slower for one short query.
    """
    spec = spec or embedder_spec()

    def make(partial: Path) -> None:
        with tempfile.TemporaryDirectory(dir=partial.parent) as work:
            exported = Path(work) / ONNX_FILE
            export_onnx(verified_model_dir(spec), exported, attention="eager")
            fuse_transformer(exported, partial, verified_model_dir(spec))
        check_against_sentence_transformers(partial, spec)

    return _cached_file(
        cache_dir / spec.sha256 / BUILD_RECIPE / ONNX_FILE, ONNX_FILE + BUILD_RECIPE + spec.sha256, make
    )


def fuse_transformer(source: Path, target: Path, model_folder: Path) -> None:
    """source with its BERT layers fused by onnxruntime's transformer optimizer, saved as target."""
    from onnxruntime.transformers import optimizer

    config = json.loads((model_folder / "config.json").read_text(encoding="utf-8"))
    fused = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(config["num_attention_heads"]),
        hidden_size=int(config["hidden_size"]),
        opt_level=1,  # onnxruntime's basic rewrites only; the session applies the rest when it loads the graph
    )
    fused.save_model_to_file(str(target))


def _make_query_model(fp32: Path, partial: Path) -> None:
    """Quantise, move the embedding table out to the model's data file (renamed into place first), then the model."""
    # Imported here, not at the top: onnx's quantisation tools are heavy, and only a build that makes the model
    # needs them (every server worker imports this module through the build).
    from index.model.quantize import dynamic_int8, with_external_tables

    with tempfile.TemporaryDirectory(dir=partial.parent) as work:
        quantised = dynamic_int8(fp32, Path(work) / "quantised.onnx", per_channel=True)
        # The data file's name is stored in the model, so it is written under its final name, then moved whole.
        model = with_external_tables(quantised, Path(work) / QUERY_FILE)
        data = model.with_name(model.name + EXTERNAL_DATA_SUFFIX)
        os.replace(data, partial.parent / data.name)
        os.replace(model, partial)


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
            for data in _data_files(earlier):
                copied = partial.with_name(f".{data.name}.{os.getpid()}")
                shutil.copyfile(data, copied)
                os.replace(copied, target.with_name(data.name))
            shutil.copyfile(earlier, partial)
        else:
            make(partial)
        digests = [file_sha256(path) for path in (partial, *_data_files(target))]
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _sidecar(target).write_text("\n".join(digests) + "\n", encoding="utf-8")
    _exported_in_this_process[key] = target
    return target


def place_model(source: Path, folder: Path) -> Path:
    """Put a cached ONNX model (and its data file, if any) into a version folder: hard links, else copies."""
    for path in (source, *_data_files(source)):
        try:
            os.link(path, folder / path.name)
        except OSError:
            shutil.copyfile(path, folder / path.name)
    return folder / source.name


def export_onnx(model_folder: Path, target: Path, attention: str | None = None) -> None:
    """Transformer, mean pooling and L2 normalisation in one graph with dynamic batch and sequence axes.

    attention names the transformers attention implementation to trace ("eager", "sdpa"); None keeps the default.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    class Embedder(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            tokens = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    model = SentenceTransformer(str(model_folder), device="cpu", local_files_only=True)
    # The transformer inside the first module (indexing a SentenceTransformer is typed as a tensor or a module).
    transformer: Any = model[0].auto_model
    if attention is not None:
        transformer.config._attn_implementation = attention
    embedder = Embedder(transformer).eval()
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


def _data_files(model: Path) -> list[Path]:
    """The external data file beside a model, when it has one."""
    data = model.with_name(model.name + EXTERNAL_DATA_SUFFIX)
    return [data] if data.is_file() else []


def _intact(target: Path) -> bool:
    """Whether a cached export exists and its files (model, then data file) still have the recorded sha256s."""
    sidecar = _sidecar(target)
    if not (target.is_file() and sidecar.is_file()):
        return False
    recorded = sidecar.read_text(encoding="utf-8").split()
    return [file_sha256(path) for path in (target, *_data_files(target))] == recorded
