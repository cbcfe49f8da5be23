"""Publication dates on reading: a post dated in the future is skipped in every format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from index import read_sources

NOW = datetime.now(UTC)
# Dates near now are given with margins, so a test that runs across midnight still holds.
TODAY = NOW.date().isoformat()
IN_TWO_DAYS = (NOW + timedelta(days=2)).date().isoformat()
PLUS_14 = timezone(timedelta(hours=14))


def jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_jsonl_posts_dated_in_the_future_are_skipped_as_utc_instants(tmp_path: Path):
    # An hour from now written in +14:00 reads as tomorrow's date, and an hour ago in +14:00 too: the instant counts.
    soon = (NOW + timedelta(hours=1)).astimezone(PLUS_14).isoformat()
    lately = (NOW - timedelta(hours=1)).astimezone(PLUS_14).isoformat()
    path = jsonl(
        tmp_path / "posts.jsonl",
        {"id": "today", "text": "Dated today.", "published": TODAY},
        {"id": "later", "text": "Dated in two days.", "published": IN_TWO_DAYS},
        {"id": "soon", "text": "An hour from now.", "published": soon},
        {"id": "lately", "text": "An hour ago.", "published": lately},
        {"id": "naive", "text": "A year on, no offset.", "published": f"{NOW.year + 1}-01-01T00:00:00"},
        {"id": "undated", "text": "No date."},
    )
    report = read_sources([path])
    assert sorted(p.id for p in report.posts) == ["lately", "today", "undated"]
    skipped = {entry.where: (entry.reason, entry.detail) for entry in report.skipped}
    assert skipped == {
        "line 2": ("published in the future", IN_TWO_DAYS),
        "line 3": ("published in the future", soon),
        "line 5": ("published in the future", f"{NOW.year + 1}-01-01T00:00:00"),
    }


def test_csv_feed_and_atom_posts_dated_in_the_future_are_skipped(tmp_path: Path):
    later = NOW + timedelta(days=3)
    (tmp_path / "posts.csv").write_text(
        f"title,text,published\nNow,Written today.,{TODAY}\nLater,Not yet.,{IN_TWO_DAYS}\n", encoding="utf-8"
    )
    (tmp_path / "feed.rss").write_text(
        '<rss version="2.0"><channel><title>T</title>'
        "<item><title>Old</title><link>https://f.example/old</link>"
        "<pubDate>Mon, 11 Mar 2024 09:30:00 +0000</pubDate><description>Old news.</description></item>"
        "<item><title>Scheduled</title><link>https://f.example/new</link>"
        f"<pubDate>{later.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate><description>Not yet.</description>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    (tmp_path / "feed.atom").write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
        f"<entry><title>Soon</title><id>1</id><link href='https://a.example/soon'/>"
        f"<published>{later.isoformat()}</published><summary>Not yet.</summary></entry></feed>",
        encoding="utf-8",
    )
    report = read_sources([tmp_path])
    assert sorted(p.title for p in report.posts) == ["Now", "Old"]
    assert sorted(e.describe().split(": ")[1] for e in report.skipped) == [
        "entry 1 'Soon'",
        "entry 2 'Scheduled'",
        "line 3",
    ]
    assert {e.reason for e in report.skipped} == {"published in the future"}
