"""Stable post ids and checked attribution fields, shared by every reader."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

from index.errors import CorpusError


def post_id(url: str | None, title: str | None, text: str) -> str:
    """An id that survives rebuilds: from the url when there is one, else from the content."""
    key = normalise_url(url) if url else f"{title or ''}\n{text}"
    return "p-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def normalise_url(url: str) -> str:
    url = url.strip()
    url = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    return url.rstrip("/").lower()


def iso_date(value: str | None, source: str, line: int | None) -> str | None:
    """An ISO 8601 date or date-time, as given; anything else is a corpus error."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CorpusError(
            source, line, f"published {text[:60]!r} is not an ISO 8601 date such as 2024-03-01 or 2024-03-01T09:30:00Z"
        ) from None
    try:
        # Dates are compared as UTC instants (a post dated in the future is not yet published).
        (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise CorpusError(
            source, line, f"published {text!r} is before year 1 or after 9999 in UTC; correct it"
        ) from None
    return parsed.isoformat()


_EMAIL = re.compile(r"[^\s@()<>]+@[^\s@()<>]+")


def display_name(value: str | None) -> str | None:
    """The name readers see, or None: an e-mail address is never an author ("jo@x.org (Jo Bloggs)" -> "Jo Bloggs")."""
    if not value:
        return None
    name = _EMAIL.sub("", value).strip().strip("()<>").strip()
    return name or None


def distinct_names(values: Iterable[str | None]) -> tuple[str, ...]:
    """Distinct non-blank names (tags, categories), stripped, in their first order."""
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
