"""The search page around its results (issue 19): counts, pages, date order, facets as filter links, and a post's
other matching passages, all rendered on the server."""

from __future__ import annotations

import html as markup
import re

import pytest

from tests.conftest import create_test_app

QUERY = "leaders in the health service"


@pytest.fixture()
def faceted_client(faceted_index):
    return create_test_app(faceted_index, ANALYTICS=False).test_client()


def page(client, **args) -> str:
    response = client.get("/", query_string={"q": QUERY, **args})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def links(html: str, css_class: str) -> list[tuple[str, str]]:
    """(href, text) of each link inside the element of this class."""
    part = html.split(f'class="{css_class}"')[1].split("</nav>")[0].split("</p>")[0]
    found = re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', part, flags=re.S)
    return [(markup.unescape(href), re.sub(r"<[^>]+>", "", text)) for href, text in found]


def test_the_status_counts_posts_and_the_list_shows_a_posts_other_passages(faceted_client, faceted_index):
    total = faceted_client.get("/api/search", query_string={"q": QUERY}).get_json()["total"]
    html = page(faceted_client)
    assert f"{total} posts for “{QUERY}”" in html
    assert html.count('<li class="result"') == total
    more = html.split('<ul class="more" aria-label="More from this post">')[1].split("</ul>")[0]
    assert more.count("<li>") >= 1 and "<mark>" in more
    passages = page(faceted_client, group="passage")
    assert "passages for “" in passages and '<ul class="more"' not in passages


def test_pages_link_to_each_other_and_never_repeat(faceted_client):
    first = page(faceted_client, k=2)
    assert "Page 1 of" in first and "Previous page" not in first
    (next_url, _), *_ = links(first, "pages")
    assert "page=2" in next_url and "k=2" in next_url
    second = faceted_client.get(next_url).get_data(as_text=True)
    assert "Page 2 of" in second
    titles = lambda html: re.findall(r'<h3 class="result-title[^"]*">(.*?)</h3>', html)  # noqa: E731
    assert not set(titles(first)) & set(titles(second))
    previous = [href for href, text in links(second, "pages") if text == "Previous page"]
    assert previous and "page=" not in previous[0]
    beyond = page(faceted_client, k=2, page=50)
    assert "Nothing on page 50" in beyond and 'class="results"' not in beyond


def test_facet_links_filter_to_as_many_posts_as_they_count(faceted_client):
    html = page(faceted_client)
    facets = html.split('<nav class="facets"')[1].split("</nav>")[0]
    assert "<h3>Author</h3>" in facets and "<h3>Tag</h3>" in facets and "<h3>Year</h3>" in facets
    checked = 0
    for href, text in links(html, "facets"):
        count = int(re.search(r"\((\d+)\)$", text).group(1))
        narrowed = faceted_client.get(href).get_data(as_text=True)
        assert f"{count} post{'s' if count != 1 else ''} for “{QUERY}”" in narrowed, (href, text)
        checked += 1
    assert checked >= 6
    author = next(href for href, text in links(html, "facets") if text.startswith("Roger Kline"))
    chosen = faceted_client.get(author).get_data(as_text=True)
    assert 'aria-current="true">Roger Kline' in chosen
    assert any(text == "Any author" for _, text in links(chosen, "facets"))


def test_date_order_is_a_link_away_and_keeps_the_filters(faceted_client):
    html = page(faceted_client, tag="nhs")
    assert '<strong aria-current="true">best match</strong>' in html
    [(newest, _)] = links(html, "order")
    assert "sort=date" in newest and "tag=nhs" in newest
    dated = faceted_client.get(newest).get_data(as_text=True)
    assert '<strong aria-current="true">newest</strong>' in dated
    days = re.findall(r'<time datetime="([^"]+)"', dated)
    assert days == sorted(days, reverse=True)
