"""Readers: the bundled tag page, JSONL and CSV, and their errors naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import CorpusError, read_sources
from index.ingest.tagpage import split_byline
from tests.conftest import SEED

EXPECTED = [
    ("Nurturing Nature in the NHS", "Isabella Fisk"),
    ("What even is productivity in healthcare?", "Dr. Ryan Kemp"),
    ("In Conversation with David Pendleton", None),
    ("In conversation with Bob Klaber", None),
    (
        "Until tackling health inequalities becomes business as usual, innovation is our best chance of equity",
        "Dr. Stuart Monk",
    ),
    ("(P)luck: Lessons We Learned for Improving Healthcare and the World – Book Review", "Yang Chen"),
    ("In conversation with Rachael Moses", None),
    ("Oxford Handbook of Medical Leadership and Management – Book Review", "Dr Rammina Yassaie"),
    ("Lucy Letby: Shuffling deckchairs will not work", "Roger Kline"),
]


def test_seed_has_the_blurb_and_nine_titled_posts(seed_posts):
    blurb, *posts = seed_posts
    assert blurb.title is None and blurb.author is None
    assert blurb.text.startswith("This BMJ Leader blog series has been produced in collaboration with")
    assert [(p.title, p.author) for p in posts] == EXPECTED
    assert posts[0].text.startswith("All my life, I have had a wonderfully intimate relationship with nature.")
    assert posts[-1].text.endswith("Robert Francis. 2013 […]")


def test_seed_invents_no_attribution(seed_posts):
    for post in seed_posts:
        assert post.url is None and post.published is None
        assert post.tags == ("BMJ Leader",)
        assert post.source == SEED.name


def test_ids_are_stable_and_unique(seed_posts):
    again = read_sources([SEED]).posts
    assert [p.id for p in again] == [p.id for p in seed_posts]
    assert len({p.id for p in seed_posts}) == len(seed_posts)


@pytest.mark.parametrize(
    ("line", "title", "author"),
    [
        ("A plain title", "A plain title", None),
        ("Why we wait. By Prof. Ann O'Neil", "Why we wait", "Prof. Ann O'Neil"),
        ("Leading teams – Book Review by Sam Lee", "Leading teams – Book Review", "Sam Lee"),
    ],
)
def test_split_byline(line, title, author):
    assert split_byline(line) == (title, author)


def test_jsonl_and_csv_read_the_same_columns(tmp_path: Path):
    record = {
        "id": "post-1",
        "title": "Waiting lists",
        "text": "Waiting lists grew.",
        "author": "Ann Lee",
        "url": "https://blog.example/waiting",
        "published": "2024-03-01",
        "tags": ["NHS", "waits"],
    }
    (tmp_path / "posts.jsonl").write_text(json.dumps(record) + "\n\n", encoding="utf-8")
    (tmp_path / "more.csv").write_text(
        "title,text,author,url,published,tags\n"
        'Staff burnout,"Burnout, again.",Bo Chan,https://blog.example/burnout,2024-04-02T09:30:00Z,NHS;staff\n',
        encoding="utf-8",
    )
    posts = {p.title: p for p in read_sources([tmp_path]).posts}
    waiting, burnout = posts["Waiting lists"], posts["Staff burnout"]
    assert waiting.id == "post-1" and waiting.tags == ("NHS", "waits") and waiting.published == "2024-03-01"
    assert burnout.text == "Burnout, again." and burnout.author == "Bo Chan"
    assert burnout.published == "2024-04-02T09:30:00+00:00" and burnout.tags == ("NHS", "staff")
    assert burnout.id.startswith("p-") and burnout.source == "more.csv"


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ('{"title": "ok", "text": "fine"}\n{"title": "broken", \n', 2, "not valid JSON"),
        ('{"title": "ok", "text": "fine"}\n\n{"title": "no text"}\n', 3, "'text' is missing"),
        ('{"title": "t", "text": "x", "published": "last Tuesday"}\n', 1, "ISO 8601"),
        ('{"title": "t", "text": "x", "colour": "red"}\n', 1, "unknown field"),
        ('["a list"]\n', 1, "JSON object"),
    ],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path: Path, content: str, line: int, problem: str):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        read_sources([path])
    assert caught.value.line == line
    assert f"bad.jsonl:{line}" in str(caught.value) and problem in str(caught.value)


def test_tag_page_with_a_title_and_no_excerpt(tmp_path: Path):
    path = tmp_path / "page.txt"
    path.write_text("Tag: X\nA title\nIts excerpt […]\nA lonely title\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"page.txt:4: .*no excerpt"):
        read_sources([path])


def test_missing_source_and_empty_folder(tmp_path: Path):
    with pytest.raises(CorpusError, match="no such file"):
        read_sources([tmp_path / "nowhere"])
    with pytest.raises(CorpusError, match="no posts found"):
        read_sources([tmp_path])


def test_same_post_from_two_sources_is_merged(tmp_path: Path):
    (tmp_path / "a.jsonl").write_text('{"id": "x", "title": "T", "text": "Body."}\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "x", "text": "Body.", "author": "Al Ng"}\n', encoding="utf-8")
    report = read_sources([tmp_path])
    assert report.merged == 1
    [post] = report.posts
    assert (post.title, post.author) == ("T", "Al Ng")


def test_attribution_is_every_post_field_but_the_text(seed_posts):
    for post in seed_posts:
        expected = post.to_json()
        del expected["text"]
        assert post.attribution() == expected
