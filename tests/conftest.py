"""Shared fixtures: the real model, and a real index of the bundled corpus built in a temp dir."""

from __future__ import annotations

import json
from dataclasses import replace
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


# The bundled posts re-dated, re-attributed and re-tagged, for facets and date order: spellings that the filters
# treat as one (Roger Kline, roger kline; NHS, nhs), undated posts, a date-time, several tags a post.
FACETED = [
    ("2022-05-01", "Roger Kline", ("BMJ Leader", "NHS")),
    ("2023-03-15", "Isabella Fisk", ("BMJ Leader", "Nature")),
    ("2023-11-30T09:00:00Z", "Dr. Ryan Kemp", ("BMJ Leader", "nhs", "Productivity")),
    (None, None, ("BMJ Leader",)),
    ("2024-02-10", "roger kline", ("BMJ Leader", "Interviews")),
    ("2024-02-10", "Dr. Stuart Monk", ("BMJ Leader", "NHS")),
    (None, "Yang Chen", ("Books",)),
    ("2021-07-04", None, ("BMJ Leader", "Interviews")),
    ("2024-09-09", "Dr Rammina Yassaie", ("Books", "BMJ Leader")),
    ("2022-05-02", "Roger Kline", ("BMJ Leader", "NHS")),
]


@pytest.fixture(scope="session")
def faceted_index(tmp_path_factory: pytest.TempPathFactory, encoder, seed_posts) -> Index:
    """The bundled posts as FACETED has them, and one long post of all their texts: a post of many passages."""
    posts = [
        replace(post, published=published, author=author, tags=tags)
        for post, (published, author, tags) in zip(seed_posts, FACETED, strict=True)
    ]
    anthology = "\n\n".join(post.text for post in seed_posts)
    posts.append(
        replace(seed_posts[1], id="anthology", title="Collected excerpts", text=anthology, url=None, author="Editors")
    )
    root = tmp_path_factory.mktemp("faceted")
    build(posts, root, encoder=encoder)
    return Index.open(root, encoder=encoder)


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
