"""Which posts are public by date: one dated in the future (scheduled, or mis-dated) is not published yet."""

from __future__ import annotations

from datetime import UTC, date, datetime


def in_future(published: str | None, now: datetime) -> bool:
    """Whether a post's ISO 8601 date lies after now (aware, UTC); a date without a time counts as that whole day,
    and a date-time without an offset as UTC."""
    if not published:
        return False
    try:
        if len(published) == 10:
            return date.fromisoformat(published) > now.astimezone(UTC).date()
        moment = datetime.fromisoformat(published)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC) > now
    except (ValueError, OverflowError):
        # The readers give only dates iso_date accepted; anything else is no date, and so not a future one.
        return False
