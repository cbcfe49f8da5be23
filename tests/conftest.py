"""Shared fixtures: the real model, and a real index of the bundled corpus built in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from index import Index, build, read_sources
from index.model.encoder import SentenceTransformerEncoder

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


# Markup in every field a post has; each payload would set window.__pwned if a page ever ran it.
HOSTILE_POSTS = [
    {
        "id": "hostile-1",
        "title": "<script>window.__pwned = 'title'</script>Orchard bees",
        "author": "<img src=x onerror=\"window.__pwned = 'author'\">",
        "url": "javascript:window.__pwned = 'url'",
        "published": "2024-03-01",
        "tags": ["<b>bees</b>"],
        "text": "Orchard bees pollinate apple blossom in spring. <img src=x onerror=\"window.__pwned = 'text'\"> "
        "<script>window.__pwned = 'text-script'</script> Without bees the orchard bears little fruit.",
    },
    {
        "id": "plain-1",
        "title": "Sourdough at home",
        "author": "Ann Baker",
        "url": "https://blog.example/sourdough",
        "published": "2023-05-02",
        "text": "Bread rises with a starter of flour and water, fed daily and kept warm.",
    },
]


@pytest.fixture(scope="session")
def hostile_index(tmp_path_factory: pytest.TempPathFactory, encoder) -> Index:
    """A small index of posts whose fields carry <script> and onerror payloads."""
    folder = tmp_path_factory.mktemp("hostile")
    corpus = folder / "hostile.jsonl"
    corpus.write_text("".join(json.dumps(post) + "\n" for post in HOSTILE_POSTS), encoding="utf-8")
    build(read_sources([corpus]).posts, folder / "index", encoder=encoder)
    return Index.open(folder / "index", encoder=encoder)
