"""Build an index version from posts: passages, embeddings, FAISS and BM25 files, manifest, then publish."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from index import store
from index.cache import EmbeddingCache
from index.lexical import LexicalIndex, LexicalSettings
from index.model.encoder import Encoder, SentenceTransformerEncoder
from index.model.export import cached_build_model, cached_onnx_model, cached_query_model, place_model
from index.model.onnx_encoder import OneAtATimeEncoder, OnnxEncoder
from index.passages import PassageSettings, embedding_text
from index.records import Passage, Post
from index.sentence_vectors import STORED_DTYPE, embed_sentences, stored_vectors_dtype
from index.splits import split_posts
from index.store import MODEL_CACHE_DIR, QUERY_FILE, SCAN_FILE, SENTENCES_FILE
from index.terms import passage_terms
from index.vectors import VectorIndex

SENTENCE_MODELS = ("query", "passage")


@dataclass(frozen=True)
class BuildSettings:
    passages: PassageSettings = field(default_factory=PassageSettings)
    lexical: LexicalSettings = field(default_factory=LexicalSettings)
    # Texts per model call, after sorting by length: small batches pad less (docs/on-disk.md, build settings).
    batch_size: int = 16
    keep_versions: int = 3
    # What embeds the passages when build() is given no encoder: "onnxruntime" (the exported graph, faster on
    # a CPU) or "torch" (sentence-transformers). Both run the same weights, and a test checks their vectors agree.
    embed_runtime: str = "onnxruntime"
    # What embeds the sentence vectors (the answers' and the ranking's sentence evidence): "query", the version's
    # int8 query graph, each sentence alone as a query is, or "passage", the encoder that embeds the passages, in
    # batches (docs/on-disk.md, build settings, has what each measured).
    sentence_model: str = "query"


@dataclass
class BuildSummary:
    version: str
    folder: Path
    posts: int
    passages: int
    embedded: int
    reused: int
    seconds: float
    embed_seconds: float
    # Where the build's time went, stage by stage, in order (seconds); the caller may add its own (reading).
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def passages_per_s(self) -> float:
        """Embedding throughput: passages embedded per second of embedding (model loading excluded)."""
        return self.embedded / self.embed_seconds if self.embedded and self.embed_seconds > 0 else 0.0

    def describe(self) -> str:
        return (
            f"built {self.version}: {self.posts} posts, {self.passages} passages "
            f"({self.embedded} embedded, {self.reused} reused from cache) in {self.seconds:.1f} s, "
            f"{self.passages_per_s:.1f} passages/s embedded -> {self.folder}\n{self.describe_stages()}"
        )

    def describe_stages(self) -> str:
        """One line: each stage's seconds and share of their sum, e.g. `time: splitting 1.2 s (4%), ...`."""
        total = sum(self.stages.values()) or 1.0
        parts = [f"{name} {seconds:.1f} s ({100 * seconds / total:.0f}%)" for name, seconds in self.stages.items()]
        return "time: " + ", ".join(parts)


def default_encoder(root: Path, runtime: str) -> Encoder:
    if runtime == "torch":
        return SentenceTransformerEncoder()
    return OnnxEncoder(cached_build_model(root / MODEL_CACHE_DIR), threads=os.cpu_count() or 1)


def query_sentence_encoder(root: Path) -> OneAtATimeEncoder:
    """The int8 query graph under root's model cache, embedding sentences one at a time on every core."""
    model = cached_query_model(root / MODEL_CACHE_DIR)
    key = f"{QUERY_FILE}:{store.sha256_of(model)}"
    return OneAtATimeEncoder(model, cache_key=key, workers=os.cpu_count() or 1)


def lexical_text(post: Post, passage: Passage) -> str:
    """What BM25 sees: the passage with its post's title and author, so a name or title finds the post."""
    return " ".join(part for part in (post.title, post.author, passage.text) if part)


def corpus_sha256(posts: list[Post]) -> str:
    digest = hashlib.sha256()
    for post in sorted(posts, key=lambda p: p.id):
        digest.update(json.dumps(post.to_json(), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


def up_to_date(manifest: store.Manifest, posts: list[Post], settings: BuildSettings, root: Path) -> bool:
    """Whether the current version under root (its manifest given) holds these posts, built with these settings
    and today's stored files.

    Today's files: sentence vectors in today's precision, the int8 scan of an exact index, and the query model
    this code makes (its recipe changes with the code; a rebuild for it reuses the embedding cache under root).
    """
    wanted = json.loads(json.dumps(asdict(settings)))
    if manifest.corpus_sha256 != corpus_sha256(posts) or manifest.settings != wanted:
        return False
    if SENTENCES_FILE not in manifest.files:
        return False
    if stored_vectors_dtype(store.current_version(root) / SENTENCES_FILE) != STORED_DTYPE:
        return False
    if manifest.faiss_index == "flat-ip" and manifest.passages and SCAN_FILE not in manifest.files:
        return False
    query_model = cached_query_model(root / MODEL_CACHE_DIR)
    return manifest.files.get(QUERY_FILE, {}).get("sha256") == store.sha256_of(query_model)


def build(
    posts: list[Post],
    root: Path,
    encoder: Encoder | None = None,
    settings: BuildSettings = BuildSettings(),
    progress: bool = False,
) -> BuildSummary:
    """Write a new version under root and point `current` at it; on any failure nothing is published.

    One build or rollback at a time under a root: a second waits for the first (store.build_lock). A root or cache
    that cannot be written (full, read-only, a file) is a StorageError that says what to do.
    """
    if settings.sentence_model not in SENTENCE_MODELS:
        raise ValueError(f"sentence_model must be one of {SENTENCE_MODELS}, not {settings.sentence_model!r}")
    root = Path(root)
    try:
        with store.build_lock(root):
            return _build(posts, root, encoder, settings, progress)
    except (OSError, sqlite3.OperationalError) as exc:
        error = store.storage_error(root, exc)
        if error is None:
            raise
        raise error from exc


def _build(
    posts: list[Post], root: Path, encoder: Encoder | None, settings: BuildSettings, progress: bool
) -> BuildSummary:
    started = time.perf_counter()
    stages: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0.0) + now - clock[0]
        clock[0] = now

    building = store.start_version(root)
    try:
        # Before the model loads: a cache that cannot be written stops the build at once, not after the embedding.
        cache = EmbeddingCache(root / store.CACHE_FILE)
        try:
            encoder = encoder or default_encoder(root, settings.embed_runtime)
            lap("model")
            by_id = {post.id: post for post in posts}
            passages, spans = split_posts(posts, settings.passages, cache, progress)
            _write_jsonl(building / store.POSTS_FILE, [p.to_json() for p in posts])
            _write_jsonl(building / store.PASSAGES_FILE, [p.to_json() for p in passages])
            texts = [embedding_text(by_id[p.post_id], p) for p in passages]
            lap("splitting")
            vectors, embedded = cache.encode(encoder, texts, settings.batch_size, progress)
            embed_seconds = time.perf_counter() - clock[0]
            lap("passage vectors")
            sentence_encoder = encoder if settings.sentence_model == "passage" else query_sentence_encoder(root)
            sentences, _ = embed_sentences(
                passages, by_id, sentence_encoder, cache, settings.batch_size, progress, spans
            )
            lap("sentence vectors")
            vector_index = VectorIndex.build(vectors)
            vector_index.save(building / store.VECTORS_FILE)
            vector_index.save_scan(building / SCAN_FILE)
            lap("FAISS")
            sentences.save(building / SENTENCES_FILE)
            lap("sentence table")
            terms = passage_terms([lexical_text(by_id[p.post_id], p) for p in passages], cache)
            lexical = LexicalIndex.of_terms(terms, settings.lexical)
            lexical.save(building / store.LEXICAL_DIR)
            lap("BM25")
        finally:
            cache.close()
        # The service embeds queries with this graph, so it must come from the weights the passages came from.
        place_model(cached_onnx_model(root / MODEL_CACHE_DIR), building)
        place_model(cached_query_model(root / MODEL_CACHE_DIR), building)
        version = store.new_version_name()
        manifest = store.Manifest(
            format_version=store.FORMAT_VERSION,
            version=version,
            model_id=encoder.model_id,
            model_sha256=encoder.weights_sha256,
            dimension=encoder.dimension,
            posts=len(posts),
            passages=len(passages),
            corpus_sha256=corpus_sha256(posts),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            faiss_index=vector_index.kind,
            settings=asdict(settings),
        )
        store.seal_version(building, manifest)
        lap("checksums")
        folder = store.publish(root, building, version)
    except BaseException:
        store.discard(building)
        raise
    store.prune(root, settings.keep_versions)
    lap("publish")
    seconds = time.perf_counter() - started
    return BuildSummary(
        version, folder, len(posts), len(passages), embedded, len(passages) - embedded, seconds, embed_seconds, stages
    )


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
