"""A feed read from a URL: what counts as a URL source, and a fetched document read as an RSS or Atom feed only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from index.errors import CorpusError
from index.ingest.entries import Found, Skipped
from index.ingest.feeds import read_feed_bytes
from index.ingest.options import ReadOptions
from index.ingest.sniff import root_of
from index.ingest.wordpress import is_wxr_namespace

# A scheme of two letters or more (so a Windows drive letter is a path), then a colon.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
FEED_KIND = "RSS/Atom feed at a URL"


def is_url(source: str | Path) -> bool:
    """Whether a source names a URL (of any scheme; fetching refuses all but http and https) rather than a path.
    A file that exists is a path even when its name looks like a URL."""
    return isinstance(source, str) and bool(_SCHEME.match(source)) and not Path(source).exists()


def read_feed_document(url: str, document: bytes, options: ReadOptions) -> Iterator[Found | Skipped]:
    """The posts of a feed fetched from url; its posts' source is the URL. A WordPress export or any other document
    is refused: over a URL only feeds are read."""
    root, namespaces = root_of(document)
    if root == "rss" and any(is_wxr_namespace(uri) for uri in namespaces):
        raise CorpusError(
            url,
            None,
            "is a WordPress export, not a feed; only feeds are read from URLs: save the export and pass the file, "
            "or give the blog's feed (https://blog.example.org/feed/)",
        )
    if root not in ("rss", "feed", "rdf"):
        found = f"its root is <{root}>" if root else "it is not XML"
        raise CorpusError(
            url,
            None,
            f"not an RSS or Atom feed ({found}); give the feed's address (WordPress: https://blog.example.org/feed/)",
        )
    return read_feed_bytes(document, url, url, options)
