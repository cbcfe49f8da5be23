"""int8 versions of the exported ONNX model: dynamic, and static per-channel with sensitive layers left in fp32."""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

from index.model.onnx_encoder import OnnxEncoder
from index.store import EXTERNAL_DATA_SUFFIX

# Only the weight matrix products are quantised: they hold the weights and the time. Embeddings, LayerNorm,
# softmax, GELU, the attention scores and the pooling stay fp32, where int8 rounding hurts most for least gain.
QUANTISED_OPS = ["MatMul"]


def dynamic_int8(source: Path, target: Path, per_channel: bool = False) -> Path:
    """Weights int8 ahead of time, activations quantised on the fly per batch: no calibration data needed."""
    with _without_preprocessing_advice():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            op_types_to_quantize=QUANTISED_OPS,
            nodes_to_exclude=_fp32_nodes(source, 0),
        )
    return target


class _DropAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Please consider to run pre-processing before quantization")


@contextmanager
def _without_preprocessing_advice() -> Iterator[None]:
    """onnxruntime logs advice meant for image models on every quantisation; a build's output is no place for it."""
    advice = _DropAdvice()
    logging.getLogger().addFilter(advice)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(advice)


def with_external_tables(source: Path, target: Path, threshold_bytes: int = 1 << 20) -> Path:
    """source re-saved as target plus target + ".data" holding its large tensors (the word-embedding table).

    onnxruntime memory-maps such a file instead of copying it: every worker shares one copy in the page cache,
    of which only the rows of the words queries use are ever read (44 MB less private memory per worker).
    """
    model = onnx.load(str(source))
    data = target.with_name(target.name + EXTERNAL_DATA_SUFFIX)
    onnx.save_model(
        model,
        str(target),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=data.name,
        size_threshold=threshold_bytes,
    )
    data.chmod(0o644)  # onnx writes it owner-only; a service running as another user must read it
    return target


def static_int8(source: Path, target: Path, calibration: OnnxEncoder, texts: list[str], fp32_layers: int = 0) -> Path:
    """Weights per channel and activations with ranges calibrated on texts; the last fp32_layers layers stay fp32."""
    with tempfile.TemporaryDirectory() as work:
        prepared = Path(work) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(target),
            _Calibration(calibration, texts),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=QUANTISED_OPS,
            nodes_to_exclude=_fp32_nodes(prepared, fp32_layers),
            # Texts differ in length, which histogram calibrators cannot merge; a moving average of per-text
            # min/max tempers the outliers a plain min/max would let stretch the int8 range.
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"CalibMovingAverage": True},
        )
    return target


class _Calibration(CalibrationDataReader):
    """Feeds tokenised texts, one at a time, so ranges cover the lengths queries and passages really have."""

    def __init__(self, encoder: OnnxEncoder, texts: list[str]) -> None:
        self.feeds: Iterator[dict[str, np.ndarray]] = (self._feed(encoder, text) for text in texts)

    @staticmethod
    def _feed(encoder: OnnxEncoder, text: str) -> dict[str, np.ndarray]:
        ids = np.array([encoder.tokenizer.encode(text).ids], dtype=np.int64)
        return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.feeds, None)


def _fp32_nodes(model_path: Path, last_layers: int) -> list[str]:
    """MatMuls to keep fp32: attention scores (both operands are activations) and the last `last_layers` layers.

    The exporter names nodes after the module path, e.g. /bert/encoder/layer.5/attention/self/MatMul_1.
    """
    matmuls = [n.name for n in onnx.load(str(model_path)).graph.node if n.op_type == "MatMul"]
    layer_of = {name: int(m.group(1)) for name in matmuls if (m := re.search(r"/layer\.(\d+)/", name))}
    depth = 1 + max(layer_of.values(), default=-1)
    return [
        name
        for name in matmuls
        if re.search(r"/self/MatMul(_1)?$", name) or layer_of.get(name, -1) >= depth - last_layers
    ]
