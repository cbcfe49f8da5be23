"""int8 models: smaller, close to fp32, and still finding each passage by its own text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import Index
from index.model.onnx_encoder import OnnxEncoder
from index.model.quantize import dynamic_int8
from index.passages import embedding_text
from index.store import ONNX_FILE


@pytest.fixture(scope="module")
def passage_texts(seed_index: Index) -> list[str]:
    return [embedding_text(seed_index.posts[p.post_id], p) for p in seed_index.passages]


# Static quantisation (calibration included) takes about 15 s, too slow for the suite; bench.py --quantization runs it.
def test_dynamic_int8_model_stays_close_to_fp32(seed_index: Index, passage_texts: list[str], tmp_path: Path):
    fp32 = seed_index.folder / ONNX_FILE
    target = dynamic_int8(fp32, tmp_path / "dynamic.onnx")
    assert target.stat().st_size < 0.8 * fp32.stat().st_size
    int8 = OnnxEncoder(target).encode(passage_texts)
    reference = seed_index.vectors.index.reconstruct_n(0, len(passage_texts))
    assert np.min(np.sum(int8 * reference, axis=1)) >= 0.9
    assert list(np.argmax(int8 @ reference.T, axis=1)) == list(range(len(passage_texts)))
