"""A post read twice is merged only when both agree on url and title; two posts sharing an id are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index import CorpusError, read_sources
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("second", "difference"),
    [
        ('{"id": "x", "title": "Bread at home", "text": "Flour and water."}', "title 'Orchard bees' against"),
        (
            '{"id": "x", "title": "Orchard bees", "url": "https://b.example/bread", "text": "Flour."}',
            "url 'https://a.example/bees' against 'https://b.example/bread'",
        ),
    ],
)
def test_two_posts_with_one_id_are_a_corpus_error_naming_both_files_and_lines(tmp_path: Path, second, difference):
    first = write(
        tmp_path / "a.jsonl",
        '{"id": "y", "text": "Another post."}',
        '{"id": "x", "title": "Orchard bees", "url": "https://a.example/bees", "text": "Bees pollinate."}',
    )
    later = write(tmp_path / "b.jsonl", second)
    with pytest.raises(CorpusError) as caught:
        read_sources([first, later])
    message = str(caught.value)
    assert f"{later}:1: post id 'x' is used by two different posts, {first}:2 and {later}:1" in message
    assert difference in message


def test_a_feed_entry_and_an_export_item_at_one_url_with_other_titles_are_refused(tmp_path: Path):
    shutil.copy(FIXTURES / "wordpress-export.xml", tmp_path)
    feed = tmp_path / "zz-feed.rss"
    feed.write_text(
        (FIXTURES / "rss2.xml")
        .read_text(encoding="utf-8")
        .replace("<title>Designing rotas people can live with</title>", "<title>Canteen menu for March</title>"),
        encoding="utf-8",
    )
    with pytest.raises(CorpusError) as caught:
        read_sources([tmp_path])
    message = str(caught.value)
    assert f"{tmp_path / 'wordpress-export.xml'} (item 1 'Designing rotas people can live with')" in message
    assert f"{feed} (entry 1 'Canteen menu for March')" in message


def test_posts_that_agree_are_merged_whatever_the_case_spacing_and_scheme(tmp_path: Path):
    first = write(
        tmp_path / "a.jsonl",
        '{"id": "x", "title": "Orchard  bees", "url": "http://A.example/bees/", "text": "Bees pollinate."}',
    )
    second = write(
        tmp_path / "b.jsonl",
        '{"id": "x", "title": "orchard bees", "url": "https://a.example/bees", "author": "Ann Lee", '
        '"text": "Bees pollinate apple blossom."}',
        '{"id": "x", "text": "A third copy, no title, no url.", "tags": ["bees"]}',
    )
    report = read_sources([first, second])
    (post,) = report.posts
    assert report.merged == 2
    assert (post.title, post.url, post.author) == ("Orchard  bees", "http://A.example/bees/", "Ann Lee")
    assert post.text == "A third copy, no title, no url." and post.tags == ("bees",)
