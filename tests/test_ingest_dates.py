"""Publication dates on reading: a post dated in the future is skipped in every format; a date outside what UTC can
hold is no date (feeds) or a CorpusError naming the file (JSONL, CSV, WordPress), never a traceback."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from index import CorpusError, read_sources
from tests.test_ingest_wordpress import rest_post

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


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_an_atom_or_rss_date_outside_utc_is_no_date(tmp_path: Path, date: str):
    atom = tmp_path / "edge.atom"
    atom.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>Edge</title><id>1</id>'
        f"<link href='https://a.example/edge'/><published>{date}</published><updated>{date}</updated>"
        "<summary>At the edge of time.</summary></entry></feed>",
        encoding="utf-8",
    )
    (post,) = read_sources([atom]).posts
    assert post.title == "Edge" and post.published is None


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0000-01-01"])
def test_a_jsonl_or_csv_date_outside_utc_is_a_corpus_error_naming_file_and_line(tmp_path: Path, date: str):
    path = jsonl(tmp_path / "edge.jsonl", {"text": "Fine."}, {"text": "At the edge.", "published": date})
    with pytest.raises(CorpusError, match=r"edge\.jsonl:2: published '.*'") as caught:
        read_sources([path])
    assert caught.value.line == 2
    (tmp_path / "edge.jsonl").unlink()
    (tmp_path / "edge.csv").write_text(f"text,published\nAt the edge.,{date}\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"edge\.csv:2: published"):
        read_sources([tmp_path])


def test_a_wordpress_date_outside_utc_is_a_corpus_error_naming_the_item(tmp_path: Path):
    path = tmp_path / "posts.json"
    path.write_text(json.dumps([rest_post(1, "fine"), rest_post(2, "edge", date_gmt="0000-01-01T00:00:00")]))
    with pytest.raises(CorpusError, match=r"posts\.json: post 2 'Notes on edgeheading': published"):
        read_sources([path])
    export = tmp_path / "export.xml"
    export.write_text(
        '<rss version="2.0" xmlns:wp="https://wordpress.org/export/1.2/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item><title>Edge</title>'
        "<content:encoded>Body.</content:encoded><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
        "<wp:post_date_gmt>0000-01-01 00:00:00</wp:post_date_gmt></item></channel></rss>",
        encoding="utf-8",
    )
    path.unlink()
    with pytest.raises(CorpusError, match=r"export\.xml: item 1 'Edge': published"):
        read_sources([export])
