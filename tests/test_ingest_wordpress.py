"""WordPress exports in any namespace scheme and version, and REST dumps: exactly the published posts are searchable."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest

from index import CorpusError, Index, build, read_sources
from index.ingest import reader_for
from scripts import build_index
from tests.conftest import create_test_app

FUTURE = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
PAST = "2024-02-01 09:00:00"
NO_DATE = "0000-00-00 00:00:00"

# One item per kind an export holds: (kind, title or None, status, post type, password, date_gmt, expected skip).
# Each item's title and body carry words of their own ("<tag><kind>heading", "<tag><kind>body") to search for.
ITEMS = [
    ("pubone", True, "publish", "post", "", PAST, None),
    ("pubtwo", True, "publish", "post", "", "2023-11-20 18:30:00", None),
    ("pubuntitled", False, "publish", "post", "", "2024-01-05 07:00:00", None),
    ("draftdated", True, "draft", "post", "", PAST, "status 'draft'"),
    ("draftundated", True, "draft", "post", "", NO_DATE, "status 'draft'"),
    ("scheduled", True, "future", "post", "", FUTURE, "status 'future'"),
    ("postdated", True, "publish", "post", "", FUTURE, "published in the future"),
    ("private", True, "private", "post", "", PAST, "status 'private'"),
    ("pending", True, "pending", "post", "", NO_DATE, "status 'pending'"),
    ("protected", True, "publish", "post", "letmein", PAST, "password-protected"),
    ("page", True, "publish", "page", "", PAST, "post type 'page'"),
    ("attachment", True, "inherit", "attachment", "", PAST, "post type 'attachment'"),
    ("menu", True, "publish", "nav_menu_item", "", PAST, "post type 'nav_menu_item'"),
]
PUBLISHED = [kind for kind, *_, skip in ITEMS if skip is None]
HIDDEN = [kind for kind, *_, skip in ITEMS if skip is not None]


def heading(tag: str, kind: str) -> str:
    return f"{tag}{kind}heading"


def body(tag: str, kind: str) -> str:
    return f"{tag}{kind}body"


def wxr(namespace: str, tag: str, prefix: str = "wp") -> str:
    """A WordPress export of ITEMS, its words tagged with tag, its namespace bound to prefix."""
    items = []
    for number, (kind, titled, status, post_type, password, date_gmt, _) in enumerate(ITEMS, start=1):
        title = f"Notes on {heading(tag, kind)}" if titled else ""
        text = f"<p>The {body(tag, kind)} paragraph explains how the ward team planned the week.</p>"
        fields = {
            "post_id": str(number),
            "post_date": date_gmt,
            "post_date_gmt": date_gmt,
            "status": status,
            "post_type": post_type,
            "post_password": password,
        }
        wp_fields = "".join(f"<{prefix}:{name}><![CDATA[{value}]]></{prefix}:{name}>" for name, value in fields.items())
        items.append(
            f"<item><title>{escape(title)}</title><link>https://{tag}.example/?p={number}</link>"
            f"<dc:creator><![CDATA[editor]]></dc:creator><content:encoded><![CDATA[{text}]]></content:encoded>"
            f"<excerpt:encoded><![CDATA[]]></excerpt:encoded>{wp_fields}</item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        f'<rss version="2.0" xmlns:excerpt="{namespace}excerpt/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:{prefix}="{namespace}">\n<channel><title>Ward Notes</title><link>https://{tag}.example</link>\n'
        f"<{prefix}:wxr_version>1.2</{prefix}:wxr_version>\n"
        f"<{prefix}:author><{prefix}:author_login><![CDATA[editor]]></{prefix}:author_login>"
        f"<{prefix}:author_display_name><![CDATA[Ed Itor]]></{prefix}:author_display_name></{prefix}:author>\n"
        + "".join(items)
        + "</channel></rss>\n"
    )


EXPORTS = {"secure": "https://wordpress.org/export/1.2/", "plain": "http://wordpress.org/export/1.2/"}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("exports")
    for tag, namespace in EXPORTS.items():
        (folder / f"{tag}.xml").write_text(wxr(namespace, tag), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def client(exports: Path, encoder, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("wxr-index")
    build(read_sources([exports]).posts, root, encoder=encoder)
    app = create_test_app(Index.open(root, encoder=encoder), RATE_LIMIT_PER_MINUTE=0)
    return app.test_client()


def test_both_exports_are_read_as_exports_and_give_only_their_published_posts(exports: Path):
    for tag in EXPORTS:
        assert reader_for(exports / f"{tag}.xml")[0] == "WordPress export (WXR)"
        report = read_sources([exports / f"{tag}.xml"])
        bodies = sorted(next(k for k in PUBLISHED if body(tag, k) in post.text) for post in report.posts)
        assert bodies == sorted(PUBLISHED)
        assert {p.author for p in report.posts} == {"Ed Itor"}
        untitled = next(p for p in report.posts if body(tag, "pubuntitled") in p.text)
        assert untitled.title is None
        skipped = sorted(entry.reason for entry in report.skipped)
        assert skipped == sorted(skip for *_, skip in ITEMS if skip is not None)


@pytest.mark.parametrize("tag", EXPORTS)
@pytest.mark.parametrize("kind", PUBLISHED)
def test_published_posts_are_found_by_body_and_by_title(client, tag: str, kind: str):
    words = [body(tag, kind)] if kind == "pubuntitled" else [body(tag, kind), heading(tag, kind)]
    for word in words:
        # Lexically the post's own word finds it and nothing else; the hybrid ranking has it among its results.
        (only,) = client.get(f"/api/search?q={word}&mode=bm25").get_json()["results"]
        assert body(tag, kind) in only["text"]
        assert kind == "pubuntitled" or heading(tag, kind) in only["post"]["title"]
        results = client.get(f"/api/search?q={word}").get_json()["results"]
        assert any(body(tag, kind) in hit["text"] for hit in results)
        # The page echoes the query; the post's body word (searched by title) can only come from the post.
        assert body(tag, kind) in client.get(f"/?q={word}&mode=bm25").get_data(as_text=True)
        assert body(tag, kind) in client.get(f"/?q={word}").get_data(as_text=True)


@pytest.mark.parametrize("tag", EXPORTS)
@pytest.mark.parametrize("kind", HIDDEN)
def test_nothing_of_an_unpublished_item_is_ever_shown(client, tag: str, kind: str):
    hidden = {heading(tag, kind), body(tag, kind)}
    for word in hidden:
        assert client.get(f"/api/search?q={word}&mode=bm25").get_json()["results"] == []
        for mode in ("hybrid", "dense"):
            # Passages too, whether or not they match (group=passage k=100 lists every passage that does).
            response = client.get(f"/api/search?q={word}&mode={mode}&group=passage&k=100")
            assert response.status_code == 200
            shown = json.dumps(response.get_json()["results"])
            assert not any(w in shown for w in hidden), f"{kind} ({word}) is searchable"
        # The page echoes the query word; the item's other word must not be on it.
        (other,) = hidden - {word}
        for mode in ("hybrid", "bm25"):
            assert other not in client.get(f"/?q={word}&mode={mode}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("namespace", "prefix"),
    [
        ("http://wordpress.org/export/1.0/", "wp"),
        ("http://wordpress.org/export/1.1/", "wp"),
        ("https://wordpress.org/export/1.2/", "wp"),
        ("https://wordpress.org/export/1.3/", "wordpress"),
        ("HTTPS://WordPress.org/export/1.2/", "wp"),
        ("wordpress.org/export/1.2/", "wp"),
        ("//www.wordpress.org/export/1.2", "wp"),
    ],
)
def test_any_scheme_and_version_of_the_namespace_is_an_export(tmp_path: Path, namespace: str, prefix: str):
    path = tmp_path / "export.xml"
    path.write_text(wxr(namespace, "x", prefix), encoding="utf-8")
    assert reader_for(path)[0] == "WordPress export (WXR)"
    report = read_sources([path])
    assert sorted(next(k for k in PUBLISHED if body("x", k) in p.text) for p in report.posts) == sorted(PUBLISHED)
    assert {p.author for p in report.posts} == {"Ed Itor"}


def test_pages_are_indexed_only_when_asked_for(exports: Path):
    path = exports / "secure.xml"
    assert not any(body("secure", "page") in p.text for p in read_sources([path]).posts)
    posts = read_sources([path], include_pages=True).posts
    assert sum(body("secure", "page") in p.text for p in posts) == 1
    assert len(posts) == len(PUBLISHED) + 1, "only the page is added: not the menu item, not the attachment"


def test_build_prints_items_posts_and_a_count_per_skip_reason(
    exports: Path, tmp_path: Path, capsys, monkeypatch, encoder
):
    monkeypatch.setattr(sys.modules["index.build"], "default_encoder", lambda root, runtime: encoder)
    path = exports / "secure.xml"
    assert build_index.main([str(path), "--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"read {path}: 3 posts (WordPress export (WXR)) of 13 entries, 10 skipped" in printed
    for line in [
        "skipped 2: status 'draft'",
        "skipped 1: status 'future'",
        "skipped 1: published in the future",
        "skipped 1: status 'private'",
        "skipped 1: status 'pending'",
        "skipped 1: password-protected",
        "skipped 1: post type 'page'",
        "skipped 1: post type 'attachment'",
        "skipped 1: post type 'nav_menu_item'",
    ]:
        assert line + "\n" in printed
    assert "post type 'page': pages are indexed only with --include-pages" in printed
    assert "read 3 posts from 1 file(s)" in printed
    assert build_index.main([str(path), "--out", str(tmp_path), "--quiet", "--include-pages"]) == 0
    assert "read 4 posts from 1 file(s)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "xml", "problem"),
    [
        (
            "atom-with-wp.xml",
            '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:wp="https://wordpress.org/export/1.2/"><title>T</title>'
            "<entry><title>Draft</title><id>1</id><summary>Secret draft text.</summary>"
            "<wp:status>draft</wp:status></entry></feed>",
            "WordPress export namespace",
        ),
        (
            "foreign-wp.rss",
            '<rss version="2.0" xmlns:wp="https://example.org/not-wordpress/"><channel><title>T</title>'
            "<item><title>Draft</title><description>Secret draft text.</description>"
            "<wp:status>draft</wp:status></item></channel></rss>",
            "<wp:status>",
        ),
        (
            "other-prefix.rss",
            '<rss version="2.0" xmlns:cms="https://cms.example/ns"><channel><title>T</title>'
            "<item><title>Draft</title><description>Secret draft text.</description>"
            "<cms:post_status>draft</cms:post_status></item></channel></rss>",
            "<cms:post_status>",
        ),
        (
            "undeclared.rss",
            '<rss version="2.0"><channel><title>T</title><item><title>Draft</title>'
            "<description>Secret draft text.</description><wp:status>draft</wp:status></item></channel></rss>",
            "not well-formed",
        ),
    ],
)
def test_a_feed_with_another_formats_markers_is_refused_not_indexed(tmp_path: Path, name: str, xml: str, problem):
    path = tmp_path / name
    path.write_text(xml, encoding="utf-8")
    with pytest.raises(CorpusError, match=problem):
        read_sources([path])


@pytest.mark.parametrize("where", ["channel", "item"])
def test_an_export_namespace_declared_below_the_root_is_refused_as_a_feed(tmp_path: Path, where: str):
    path = tmp_path / "late.rss"
    channel = '<channel xmlns:wp="https://wordpress.org/export/1.2/">' if where == "channel" else "<channel>"
    item = '<item xmlns:wp="https://wordpress.org/export/1.2/">' if where == "item" else "<item>"
    path.write_text(
        f'<rss version="2.0">{channel}<title>T</title>{item}<title>Draft</title>'
        "<description>Secret draft text.</description><wp:status>draft</wp:status></item></channel></rss>",
        encoding="utf-8",
    )
    assert reader_for(path)[0] == "RSS/Atom feed"
    with pytest.raises(CorpusError, match="declares the WordPress export namespace .* but not on an <rss> root"):
        read_sources([path])


def test_a_feed_quoting_the_export_namespace_in_its_text_is_still_a_feed(tmp_path: Path):
    path = tmp_path / "about-wxr.rss"
    path.write_text(
        '<rss version="2.0"><channel><title>T</title><item><title>Reading WXR</title>'
        "<link>https://f.example/wxr</link><description><![CDATA[<p>An export starts "
        '<code>&lt;rss xmlns:wp="https://wordpress.org/export/1.2/"&gt;</code> and lists '
        "<code>&lt;wp:status&gt;</code> per item.</p>]]></description></item></channel></rss>",
        encoding="utf-8",
    )
    assert reader_for(path)[0] == "RSS/Atom feed"
    (post,) = read_sources([path]).posts
    assert post.title == "Reading WXR" and "wp:status" in post.text


def rest_post(number: int, word: str, **fields) -> dict:
    return {
        "id": number,
        "date_gmt": "2024-02-01T09:00:00",
        "status": "publish",
        "type": "post",
        "link": f"https://rest.example/?p={number}",
        "title": {"rendered": f"Notes on {word}heading"},
        "content": {"rendered": f"<p>The {word}body paragraph.</p>", "protected": False},
        **fields,
    }


def test_rest_dump_gives_only_published_public_posts(tmp_path: Path):
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    records = [
        rest_post(1, "restpublished"),
        rest_post(2, "restdraft", status="draft"),
        rest_post(3, "restscheduled", status="future", date_gmt=future),
        rest_post(4, "restpostdated", date_gmt=future),
        rest_post(5, "restprivate", status="private"),
        rest_post(6, "restpending", status="pending"),
        rest_post(7, "restprotected", content={"rendered": "<p>The restprotectedbody.</p>", "protected": True}),
        rest_post(8, "restpage", type="page"),
        rest_post(9, "restnostatus", status=None),
    ]
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = read_sources([path])
    assert [p.title for p in report.posts] == ["Notes on restpublishedheading"]
    assert [entry.reason for entry in report.skipped] == [
        "status 'draft'",
        "status 'future'",
        "published in the future",
        "status 'private'",
        "status 'pending'",
        "password-protected",
        "post type 'page'",
        "no status",
    ]
    with_pages = read_sources([path], include_pages=True).posts
    assert [p.title for p in with_pages] == ["Notes on restpublishedheading", "Notes on restpageheading"]


def test_an_export_of_drafts_alone_says_what_was_skipped(tmp_path: Path):
    path = tmp_path / "drafts.xml"
    path.write_text(wxr(EXPORTS["secure"], "x").replace("[CDATA[publish]]", "[CDATA[draft]]"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"no posts found \(13 skipped: 7 status 'draft'; 1 status 'future'; "):
        read_sources([path])
