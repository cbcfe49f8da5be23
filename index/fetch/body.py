"""A response body read within a size limit and a deadline, gunzipped within the same limit."""

from __future__ import annotations

import time
import zlib
from typing import Protocol

from index.errors import CorpusError

CHUNK_BYTES = 64 * 1024


class Readable(Protocol):
    def read1(self, size: int = ..., /) -> bytes: ...


def read_body(response: Readable, url: str, encoding: str, max_bytes: int, deadline: float, timeout: float) -> bytes:
    """The whole body, decoded from gzip when the server sent it so; more than max_bytes (on the wire or once
    unzipped, so a small gzip bomb is refused too) or a transfer past the deadline is a CorpusError."""
    encoding = encoding.strip().lower()
    if encoding not in ("", "identity", "gzip", "x-gzip"):
        raise CorpusError(url, None, f"the server sent the feed encoded as {encoding!r}, which is not read; only gzip")
    unzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
    parts: list[bytes] = []
    received = size = 0
    while chunk := response.read1(CHUNK_BYTES):
        received += len(chunk)
        if received > max_bytes:
            raise too_big(url, max_bytes)
        if unzip is not None:
            try:
                # At most one byte over the limit is asked for, so the unzipped text never grows past it in memory.
                chunk = unzip.decompress(chunk, max_bytes - size + 1)
            except zlib.error as exc:
                raise CorpusError(url, None, f"the server's gzip data is broken ({exc}); try again later") from None
        size += len(chunk)
        if size > max_bytes:
            raise too_big(url, max_bytes)
        parts.append(chunk)
        if time.monotonic() > deadline:
            raise CorpusError(
                url, None, f"the feed took over {timeout:g} s to arrive; try again later, or check the URL"
            )
    if unzip is not None and not unzip.eof:
        raise CorpusError(url, None, "the server's gzip data ends early (a cut-off transfer); try again later")
    return b"".join(parts)


def too_big(url: str, max_bytes: int) -> CorpusError:
    return CorpusError(
        url,
        None,
        f"the response is over the {max_bytes:,}-byte limit for a feed; is this the feed's address? "
        "(a feed of the latest posts is usually well under a megabyte)",
    )
