"""Text to normalised float32 vectors with the pinned model; build and query use the same weights."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tokenizers import Tokenizer

from index.model.spec import ModelSpec, embedder_spec, verified_model_dir


class Encoder(Protocol):
    """What the engine needs of an embedding model."""

    model_id: str
    weights_sha256: str
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray: ...


def load_tokenizer(folder: Path) -> Tokenizer:
    """The model's word-piece tokenizer without its fixed-length padding or truncation, for counting."""
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


class SentenceTransformerEncoder:
    """The model through sentence-transformers on torch (CPU)."""

    def __init__(self, spec: ModelSpec | None = None) -> None:
        self.spec = spec or embedder_spec()
        self.folder = verified_model_dir(self.spec)
        self.model_id = self.spec.model_id
        self.weights_sha256 = self.spec.sha256
        self.dimension = self.model.get_embedding_dimension()

    @cached_property
    def model(self) -> Any:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
