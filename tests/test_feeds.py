"""Feeds and WordPress: RSS 2.0, Atom, WXR exports and REST dumps to posts, merged by url; bad files name file:line."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from index import CorpusError, read_sources, store
from index.ingest import reader_for
from index.ingest.htmltext import html_to_text
from scripts import build_index
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
ROTA = "https://blog.example.org/2024/03/rota-design/"


@pytest.fixture(scope="module")
def report():
    return read_sources([FIXTURES])


def by_url(report, url: str):
    return next(p for p in report.posts if p.url == url)


def test_formats_are_recognised_by_content():
    kinds = {name: reader_for(FIXTURES / name)[0] for name in ("rss2.xml", "atom.xml", "wordpress-export.xml")}
    assert kinds == {
        "rss2.xml": "RSS/Atom feed",
        "atom.xml": "RSS/Atom feed",
        "wordpress-export.xml": "WordPress export (WXR)",
    }
    assert reader_for(FIXTURES / "wp-posts.json")[0] == "WordPress REST posts"


def test_unknown_xml_is_skipped_with_why(tmp_path: Path):
    (tmp_path / "sitemap.xml").write_text('<?xml version="1.0"?><urlset><url/></urlset>', encoding="utf-8")
    shutil.copy(FIXTURES / "atom.xml", tmp_path)
    report = read_sources([tmp_path])
    assert any("sitemap.xml: XML whose root is <urlset>" in entry.describe() for entry in report.skipped)


def test_the_same_post_from_three_sources_is_one_post(report):
    rota = by_url(report, ROTA)
    assert [p.url for p in report.posts].count(ROTA) == 1
    assert rota.title == "Designing rotas people can live with"
    assert rota.author == "Priya Shah"
    assert rota.published == "2024-03-11T09:30:00+00:00"
    assert rota.tags == ("Workforce", "rotas")
    # The export's full body wins over the feed's shorter one; the shortcode and the share links are gone.
    assert rota.text.endswith("We settled it with a lottery, drawn in public.")
    assert "caption" not in rota.text and "Share on" not in rota.text and "dataLayer" not in rota.text
    assert report.merged == 3


def test_rss_author_is_a_name_never_an_email(report):
    panels = by_url(report, "https://blog.example.org/2024/02/patient-panels/")
    assert panels.author == "Tom Okafor"
    assert panels.published == "2024-02-15T13:00:00+00:00"
    for post in report.posts:
        assert post.author is None or "@" not in post.author


def test_atom_entry(report):
    handover = by_url(report, "https://blog.example.org/2024/03/handover-quality/")
    assert handover.title == "Measuring handover quality & safety"
    assert handover.author == "Dr. Aisha Rahman"
    assert handover.tags == ("Patient safety", "handover")
    assert handover.text.startswith("Why measure\n\nA handover that omits pending bloods")
    assert ".x{color" not in handover.text


def test_atom_entry_without_author_takes_the_feeds(tmp_path: Path):
    feed = tmp_path / "solo.atom"
    feed.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Solo</title><author><name>Kim Lee</name></author>'
        "<entry><title>One</title><link href='https://solo.example/one'/><id>1</id>"
        "<updated>2024-05-01T10:00:00Z</updated><summary>Only the feed names me.</summary></entry></feed>",
        encoding="utf-8",
    )
    (post,) = read_sources([feed]).posts
    assert (post.author, post.url, post.published) == (
        "Kim Lee",
        "https://solo.example/one",
        "2024-05-01T10:00:00+00:00",
    )


def test_wxr_maps_logins_to_display_names_and_skips_what_is_not_public(report):
    night = by_url(report, "https://blog.example.org/2024/01/night-shifts/")
    assert night.author == "Jess Morgan"
    assert night.text == (
        "Three nights in a row is where the errors start to climb on our unit.\n\n"
        "We moved to blocks of two, with a protected sleep day after, and asked staff what changed."
    )
    skipped = "\n".join(entry.describe() for entry in report.skipped)
    assert "'Draft: budget season': status 'draft'" in skipped
    assert "'Staff survey results (internal)': status 'private'" in skipped
    assert "'About': post type 'page'" in skipped and "post type 'attachment'" in skipped
    assert "entry 3 'Announcement': no content or summary" in skipped
    assert not any(p.title and "Staff survey" in p.title for p in report.posts)


def test_rest_dump_author_comes_only_from_embedded_users(report):
    theatre = by_url(report, "https://blog.example.org/2024/03/theatre-lists/")
    assert theatre.title == "Theatre lists that start on time – a checklist"
    assert theatre.author is None, "author 5 is only an id: no name is invented"
    assert theatre.tags == ()
    assert theatre.text == (
        "Late starts cost us forty minutes a list.\n\n"
        "Send for the first patient at 07:45.\n\nConfirm the consent form the day before."
    )


def test_html_to_text_keeps_paragraphs_and_drops_scripts_styles_navigation():
    html = (
        "<nav><a href='/'>Home</a></nav><h2>Title</h2><p>One &amp; <em>two</em>.</p>"
        "<style>p{}</style><script>alert(1)</script><p>Three<br>four […]</p>raw one\n\nraw two"
    )
    assert html_to_text(html) == "Title\n\nOne & two.\n\nThree\nfour […]\n\nraw one\n\nraw two"


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("cut.xml", (FIXTURES / "wordpress-export.xml").read_text(encoding="utf-8")[:3000], "cut.xml:"),
        (
            "bad.rss",
            '<?xml version="1.0"?>\n<rss version="2.0"><channel>\n<item><title>x</item>\n</channel></rss>',
            "bad.rss:3",
        ),
        ("bad.json", '[\n  {"content": {"rendered": "<p>x</p>"}},\n  {oops}\n]', "bad.json:3"),
        ("shape.json", '{"posts": []}', "shape.json: post 1 has no content.rendered"),
    ],
)
def test_malformed_file_names_file_and_line_and_publishes_nothing(tmp_path: Path, capsys, name, content, where):
    bad = tmp_path / name
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError):
        read_sources([bad])
    out = tmp_path / "index"
    assert build_index.main([str(FIXTURES), str(bad), "--out", str(out), "--quiet"]) == 2
    assert where in capsys.readouterr().err
    assert not (out / store.CURRENT).exists()


def test_build_prints_what_it_read_and_skipped(tmp_path: Path, capsys, monkeypatch, encoder):
    monkeypatch.setattr(sys.modules["index.build"], "default_encoder", lambda root, runtime: encoder)
    assert build_index.main([str(FIXTURES), "--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    export = FIXTURES / "wordpress-export.xml"
    assert f"read {export}: 2 posts (WordPress export (WXR)) of 6 entries, 4 skipped" in printed
    assert "skipped 1: status 'draft'\n" in printed and "skipped 1: post type 'page'\n" in printed
    assert "skipped " in printed and "status 'draft': only published posts are indexed" in printed
    assert "read 5 posts from 4 file(s); 3 merged duplicates" in printed
