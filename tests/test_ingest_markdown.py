"""Markdown folders with YAML, TOML and JSON front matter: exactly the published posts, their fields, and why others
are skipped; code and template calls never reach the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import CorpusError, read_sources

# Beside tests/fixtures, not in it: tests build that whole folder and count the files it holds.
FIXTURES = Path(__file__).parent / "markdown_fixtures"
BASE = "https://blog.example/"


def _by_title(base_url: str | None = BASE) -> dict[str | None, object]:
    return {post.title: post for post in read_sources([FIXTURES], base_url=base_url).posts}


def test_reads_each_generators_posts_with_their_fields() -> None:
    posts = _by_title()
    assert set(posts) == {"Hugo Post", "Zola Post", "Jekyll Post", "JSON Post"}
    hugo, zola, jekyll, json_post = (posts[t] for t in ("Hugo Post", "Zola Post", "Jekyll Post", "JSON Post"))
    assert (hugo.author, hugo.published, hugo.tags) == (
        "Jo Bloggs",
        "2024-03-01T09:30:00+00:00",
        ("search", "hugo", "notes"),
    )
    assert hugo.url == BASE + "content/posts/hello-hugo"
    assert (zola.author, zola.published, zola.url) == ("Ann One, Bob Two", "2023-07-04", BASE + "2023/07/04/zola-post")
    assert zola.tags == ("zola",), "Zola keeps tags under [taxonomies]"
    assert (jekyll.author, jekyll.published, jekyll.tags) == ("Cy Three", "2022-05-01", ("travel",))
    assert jekyll.url == BASE + "_posts/2022-05-01-jekyll-post"
    assert (json_post.author, json_post.published) == ("Di Four", "2021-01-02")
    assert json_post.url == "https://elsewhere.example/json-post"


def test_without_a_base_url_only_absolute_urls_are_kept() -> None:
    posts = _by_title(None)
    assert {title: post.url for title, post in posts.items()} == {
        "Hugo Post": None,
        "Zola Post": None,
        "Jekyll Post": None,
        "JSON Post": "https://elsewhere.example/json-post",
    }


def test_skips_say_why() -> None:
    report = read_sources([FIXTURES], base_url=BASE)
    skipped = {Path(entry.source).name: entry.reason for entry in report.skipped}
    assert skipped == {
        "draft.md": "draft",
        "moved.md": "redirect stub",
        "_index.md": "index or listing page",
        "future.md": "published in the future",
        "empty.md": "no body",
    }


def test_text_is_readable_and_holds_no_code_or_template_calls() -> None:
    posts = _by_title()
    hugo = posts["Hugo Post"].text
    assert hugo.split("\n\n") == [
        "A heading",
        "Some emphasis, strong and a link with inline code.",
        "first item",
        "second item",
        "quoted words",
        "cell one; cell two",
        "cell three; cell four",
    ]
    every = "\n".join(post.text for post in posts.values())
    for leftover in (
        "code()",
        "fencedcode",
        "indentedcode",
        "highlightedcode",
        "gocode",
        "playcode",
        "rawcode",
        "shortcodecaption",
        "{{",
        "{%",
        "refdef",
        "diagram",
        "http",
    ):
        assert leftover not in every
    assert posts["JSON Post"].text == "JSON body text."
    assert posts["Jekyll Post"].text == "Jekyll body text."


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("---\ntitle: ok\ndate: [unclosed\n---\nbody\n", 3, "YAML front matter does not parse"),
        ('+++\ntitle = "ok"\ndate = \nauthor = "x"\n+++\nbody\n', 3, "TOML front matter does not parse"),
        ('{\n  "title": "ok",\n  "date" 1\n}\nbody\n', 3, "JSON front matter does not parse"),
        ("---\ntitle: never closed\n\nbody\n", 1, "never closed"),
    ],
)
def test_front_matter_that_does_not_parse_names_file_and_line(
    tmp_path: Path, content: str, line: int, words: str
) -> None:
    path = tmp_path / "bad.md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        read_sources([tmp_path])
    assert caught.value.source == str(path)
    assert caught.value.line == line
    assert words in str(caught.value)
