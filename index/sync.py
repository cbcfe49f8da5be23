"""Keep an index in step with its sources, one pass at a time: feeds polled with conditional requests and their posts
accumulated, files and folders read whole, and a version built only when the merged posts changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from index import store
from index.build import BuildSettings, BuildSummary
from index.errors import CorpusError, IndexFormatError, SearchError
from index.fetch import MAX_BYTES, TIMEOUT_S, fetch
from index.ingest import read_fetched_feed, read_sources
from index.ingest.entries import Found
from index.ingest.feedurl import is_url
from index.ingest.merge import merge
from index.ingest.options import MAX_POST_CHARS
from index.journal import build_with_pushes
from index.jsonl import LineError, rows
from index.records import Post
from index.syncstate import COMPLETE, FEED, SourceState, load_state, post_digest, save_state


@dataclass(frozen=True)
class SyncOptions:
    include_pages: bool = False
    max_post_chars: int = MAX_POST_CHARS
    base_url: str | None = None
    timeout: float = TIMEOUT_S
    max_bytes: int = MAX_BYTES
    settings: BuildSettings = field(default_factory=BuildSettings)


@dataclass
class SyncPass:
    """What one pass did: the changes against the last version built, the version built (None: none was), the
    sources that failed (their last good posts stand in) and the feeds the server said were not modified."""

    posts: int = 0
    new: int = 0
    edited: int = 0
    removed: int = 0
    summary: BuildSummary | None = None
    failures: list[str] = field(default_factory=list)
    not_modified: list[str] = field(default_factory=list)
    # Why nothing was built although something may have changed (a source never read, posts that clash).
    held_back: str | None = None

    def describe(self) -> str:
        changes = f"{self.new} new, {self.edited} edited, {self.removed} removed"
        unmodified = f"; {len(self.not_modified)} feed(s) not modified" if self.not_modified else ""
        if self.held_back:
            return f"kept the served version: {self.held_back}"
        if self.summary is None:
            return f"unchanged ({self.posts} post{'' if self.posts == 1 else 's'}{unmodified})"
        built = self.summary
        return (
            f"{changes} -> built {built.version} ({built.posts} posts, {built.embedded} passages embedded, "
            f"{built.reused} reused, {built.seconds:.1f} s{unmodified})"
        )


def publish(posts: list[Post], root: Path, settings: BuildSettings) -> BuildSummary:
    """The one call through which sync builds and publishes a version: with the posts pushed through the admin API
    laid over the sources' (a pushed post survives a sync; sync compares only its own posts, so pushes cause no
    rebuild loop)."""
    return build_with_pushes(posts, root, settings=settings)


def source_key(source: str) -> str:
    return source if is_url(source) else str(Path(source).resolve())


def sync_once(sources: list[str], root: Path, options: SyncOptions = SyncOptions()) -> SyncPass:
    """Read every source (a failing one keeps the posts it last gave), merge them, and build when they changed."""
    state = load_state(root)
    done = SyncPass()
    polled: dict[str, SourceState] = {}
    for source in sources:
        key = source_key(source)
        before = state.sources.get(key)
        try:
            polled[key] = _poll(source, before, options)
        except SearchError as exc:
            count = len(before.posts) if before else 0
            kept = f"keeping its {count} post{'' if count == 1 else 's'}" if before else "it has never been read"
            done.failures.append(f"{source}: {_problem(exc, source)} ({kept}; trying again next pass)")
            if before is None:
                done.held_back = f"{source} has never been read, and a version without its posts would drop them"
            else:
                polled[key] = before
            continue
        if before is not None and polled[key] is before:
            done.not_modified.append(source)
    # A source no longer named is forgotten, its posts with it.
    state.sources = polled
    save_state(root, state)
    if done.held_back:
        return done
    try:
        posts = _merged(polled)
    except CorpusError as exc:
        done.held_back = str(exc)
        return done
    done.posts = len(posts)
    if not posts:
        done.held_back = "no posts yet (the feeds are empty)"
        return done
    built = state.built if state.built is not None else _served_digests(root)
    digests = {post.id: post_digest(post) for post in posts}
    done.new = sum(1 for key in digests if key not in built)
    done.edited = sum(1 for key, digest in digests.items() if key in built and built[key] != digest)
    done.removed = sum(1 for key in built if key not in digests)
    if digests == built and _has_current(root):
        if state.built is None:
            state.built, state.built_version = digests, store.current_version(root).name
            save_state(root, state)
        return done
    done.summary = publish(posts, root, options.settings)
    state.built, state.built_version = digests, done.summary.version
    save_state(root, state)
    return done


def _poll(source: str, before: SourceState | None, options: SyncOptions) -> SourceState:
    if not is_url(source):
        report = read_sources(
            [source],
            include_pages=options.include_pages,
            max_post_chars=options.max_post_chars,
            base_url=options.base_url,
        )
        return SourceState(COMPLETE, report.posts)
    etag, modified = (before.etag, before.last_modified) if before else (None, None)
    fetched = fetch(source, etag=etag, last_modified=modified, timeout=options.timeout, max_bytes=options.max_bytes)
    if fetched.body is None:
        if before is None:
            raise CorpusError(source, None, "the server answered 304 Not Modified to a plain request; try again later")
        return before
    report = read_fetched_feed(
        source,
        fetched.body,
        include_pages=options.include_pages,
        max_post_chars=options.max_post_chars,
        base_url=options.base_url,
    )
    # An entry seen again replaces what it was; one that fell off the feed's latest stays.
    posts = {post.id: post for post in before.posts} if before else {}
    posts.update((post.id, post) for post in report.posts)
    return SourceState(FEED, list(posts.values()), fetched.etag, fetched.last_modified)


def _merged(sources: dict[str, SourceState]) -> list[Post]:
    """Every source's posts, in the order given; a post in two sources merged as read_sources merges it."""
    by_id: dict[str, Found] = {}
    for key, source in sources.items():
        for post in source.posts:
            found = Found(post, key, f"post {post.id}")
            by_id[post.id] = merge(by_id[post.id], found) if post.id in by_id else found
    return [found.post for found in by_id.values()]


def _served_digests(root: Path) -> dict[str, str]:
    """The posts of the version served now, by id and digest; none when there is none (or it cannot be read)."""
    try:
        posts_file = store.current_version(root) / store.POSTS_FILE
        return {row["id"]: post_digest(Post.from_json(row)) for _, row in rows(posts_file)}
    except (IndexFormatError, OSError, LineError, KeyError, TypeError):
        return {}


def _has_current(root: Path) -> bool:
    return (root / store.CURRENT).exists()


def _problem(exc: SearchError, source: str) -> str:
    """The error without the source's name when it names just the source (a failing file in a folder is named)."""
    return exc.problem if isinstance(exc, CorpusError) and exc.source == source else str(exc)
