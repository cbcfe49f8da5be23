"""Built static-site HTML read as Pagefind reads it: exactly the article pages, their fields from the page's own
metadata, and why listings, redirects and empty pages are skipped; code listings never reach the text."""

from __future__ import annotations

from pathlib import Path

from index import read_sources
from index.records import Post

# Beside tests/fixtures, not in it: tests build that whole folder and count the files it holds.
SITE = Path(__file__).parent / "site_fixtures" / "public"
MARKED = Path(__file__).parent / "site_fixtures" / "marked"
BASE = "https://blog.example/"


def _by_title(base_url: str | None = BASE) -> dict[str | None, Post]:
    return {post.title: post for post in read_sources([SITE], base_url=base_url).posts}


def test_reads_each_article_page_with_its_fields() -> None:
    posts = _by_title()
    assert set(posts) == {"Building a Search Index", "Notes on Ranking", "A Page Bundle"}
    json_ld, og, bundle = (posts[t] for t in ("Building a Search Index", "Notes on Ranking", "A Page Bundle"))
    assert (json_ld.author, json_ld.published, json_ld.tags) == (
        "Ann One, Bob Two",
        "2024-03-01T09:30:00+00:00",
        ("search", "indexing"),
    ), "JSON-LD BlogPosting in a @graph, e-mail addresses dropped from its authors"
    assert json_ld.url == BASE + "posts/2024/json-ld-post.html"
    assert json_ld.source == "posts/2024/json-ld-post.html"
    assert (og.author, og.published, og.tags) == ("Jo Bloggs", "2023-07-04", ("ranking", "search"))
    assert og.url == "https://blog.example/notes-on-ranking/", "og:url, absolute, wins over the file's path"
    assert (bundle.author, bundle.published, bundle.tags) == (None, "2022-05-01T08:00:00+01:00", ())
    assert bundle.url == BASE + "posts/bundle/", "a relative canonical link is passed over; index.html is its folder"


def test_text_is_the_main_content_without_chrome_or_code() -> None:
    posts = _by_title()
    text = posts["Building a Search Index"].text
    assert text == (
        "Building a Search Index\n\nAn index maps every word to the posts that hold it. Call build() to make one."
        "\n\nRebuild it whenever a post changes."
    )
    assert "print(index)" not in text and "Related" not in text and "Copyright" not in text
    assert posts["Notes on Ranking"].text == (
        "Ranking, a note\n\nFusion combines the dense and lexical rankings & keeps the best of both."
    )
    assert posts["A Page Bundle"].text == "Posted May Day.\n\nA page bundle keeps its images beside its text."


def test_without_a_base_url_only_absolute_urls_are_kept() -> None:
    posts = _by_title(None)
    assert posts["Notes on Ranking"].url == "https://blog.example/notes-on-ranking/"
    assert posts["Building a Search Index"].url is None
    assert posts["A Page Bundle"].url is None


def test_listings_redirects_and_empty_pages_are_skipped_with_the_reason() -> None:
    report = read_sources([SITE], base_url=BASE)
    skipped = {
        Path(entry.source).relative_to(SITE).as_posix(): (entry.reason, entry.detail) for entry in report.skipped
    }
    assert skipped == {
        "404.html": ("not-found page", ""),
        "about/index.html": ("index or listing page", "no <article>, <main> or data-pagefind-body element"),
        "index.html": ("index or listing page", "3 <article> elements"),
        "page/2/index.html": ("index or listing page", "pagination page page/2/"),
        "posts/code-only.htm": ("no body", "no text in the page's main content"),
        "posts/old-name/index.html": ("redirect page", "to https://blog.example/posts/bundle/"),
        "tags/search/index.html": ("index or listing page", "under tags/"),
    }
    assert any("posts/og-post.html: 1 posts (built site HTML)" in line for line in report.read)


def test_a_site_that_marks_its_content_has_only_marked_elements_read() -> None:
    report = read_sources([MARKED], base_url=BASE)
    assert [(post.title, post.text, post.url) for post in report.posts] == [
        ("First Note", "The owner marks what is content.", BASE + "notes/first.html")
    ]
    assert [(Path(entry.source).name, entry.reason) for entry in report.skipped] == [
        ("second.html", "index or listing page")
    ]


def test_a_single_page_passed_itself_is_read(tmp_path: Path) -> None:
    page = tmp_path / "post.html"
    page.write_text(
        '<html><head><meta property="og:title" content="Solo"><link rel="canonical" href="https://x.example/solo">'
        "</head><body><article><p>Alone.</p></article></body></html>",
        encoding="utf-8",
    )
    [post] = read_sources([page]).posts
    assert (post.title, post.text, post.url) == ("Solo", "Alone.", "https://x.example/solo")
