"""Shared fixtures: the real model, and a real index of the bundled corpus built in a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from index import Index, build, read_sources
from index.encoder import SentenceTransformerEncoder

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "corpus"
SEED = CORPUS / "bmj-leader-tag-page.txt"


@pytest.fixture(scope="session")
def encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


@pytest.fixture(scope="session")
def seed_posts():
    return read_sources([CORPUS]).posts


@pytest.fixture(scope="session")
def index_root(tmp_path_factory: pytest.TempPathFactory, encoder, seed_posts) -> Path:
    root = tmp_path_factory.mktemp("index")
    build(seed_posts, root, encoder=encoder)
    return root


@pytest.fixture(scope="session")
def seed_index(index_root: Path, encoder) -> Index:
    return Index.open(index_root, encoder=encoder)


@pytest.fixture()
def app(seed_index: Index) -> Flask:
    app = create_test_app(seed_index)
    return app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def create_test_app(index: Index, **config) -> Flask:
    from service import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(index.folder), **config}, index=index)
