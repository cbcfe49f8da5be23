"""The search page and embed as the server renders them: results, escaping, security headers and CORS."""

from __future__ import annotations

import re

import pytest

from service.web import segments
from tests.conftest import create_test_app


def page_text(response) -> str:
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_empty_page_has_a_labelled_search_box_and_no_results(client):
    html = page_text(client.get("/"))
    assert '<form role="search" action="/" method="get"' in html
    assert '<label for="q">' in html and 'id="q" name="q"' in html
    assert 'class="results"' not in html


@pytest.mark.parametrize("blank", ["   ", "\u200b", "\ufeff \t", "\x00"])
def test_a_query_with_nothing_to_search_for_shows_the_empty_page(client, blank: str):
    response = client.get("/", query_string={"q": blank})
    html = page_text(response)
    assert response.status_code == 200
    assert 'class="results"' not in html and "Search failed" not in html


def test_query_renders_results_with_marked_highlights(client):
    response = client.get("/", query_string={"q": "Henley Business School"})
    html = page_text(response)
    assert response.status_code == 200
    assert 'value="Henley Business School"' in html
    first = html.split('<li class="result"')[1].split("</ol>")[0]
    assert "In Conversation with David Pendleton" in first
    best = first.split('<span class="best">')[1].split("</span>")[0]
    assert "David Pendleton, who is Professor" in best
    assert "<mark>Henley</mark> <mark>Business</mark> <mark>School</mark>" in best
    # The seed gives no URLs, so no title is a link.
    assert "<a href" not in first


def test_segments_nest_terms_inside_the_best_sentence():
    text = "abc def ghi"
    highlights = [
        {"start": 4, "end": 11, "kind": "sentence"},
        {"start": 0, "end": 3, "kind": "term"},
        {"start": 8, "end": 20},
    ]
    assert segments(text, highlights) == [
        (False, [("abc", True), (" ", False)]),
        (True, [("def ", False), ("ghi", True)]),
    ]
    assert segments(text, []) == [(False, [(text, False)])]


def test_answer_card_comes_first_with_its_post(client):
    html = page_text(client.get("/", query_string={"q": "Who is professor of leadership at Henley?"}))
    card = html.split('<section class="answer"')[1].split("</section>")[0]
    assert html.index('<section class="answer"') < html.index('<ol class="results">')
    assert (
        '<p class="answer-text">Today I’m talking to David Pendleton, who is Professor of Leadership at Henley '
        "Business School.</p>"
    ) in card
    assert "From <cite>In Conversation with David Pendleton</cite></p>" in card


def test_answer_from_an_untitled_post_says_so(client):
    html = page_text(client.get("/", query_string={"q": "What is HEEC dedicated to?"}))
    card = html.split('<section class="answer"')[1].split("</section>")[0]
    assert "HEEC are dedicated to generating solid and reliable evidence" in card
    assert "From <span>an untitled excerpt</span></p>" in card


def test_missing_attribution_is_shown_honestly(client):
    html = page_text(client.get("/", query_string={"q": "Health Equity Evidence Centre"}))
    first = html.split('<li class="result"')[1].split("</li>")[0]
    assert '<h3 class="result-title untitled">Untitled excerpt</h3>' in first
    assert 'class="author"' not in first and "<time" not in first
    assert '<span class="source">source: bmj-leader-tag-page.txt</span>' in first


def test_echoed_query_is_escaped(client):
    html = page_text(client.get("/", query_string={"q": '<script>alert(1)</script>"><b>'}))
    assert "<script>alert" not in html and "<b>" not in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;b&gt;"' in html
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;b&gt;”" in html


def test_hostile_corpus_fields_render_as_text(hostile_index):
    client = create_test_app(hostile_index).test_client()
    html = page_text(client.get("/", query_string={"q": "orchard bees"}))
    body = html.split('<div id="output">')[1]
    assert '<section class="answer"' in body
    assert "<script" not in body and "<img" not in body
    assert "&lt;script&gt;window.__pwned = &#39;title&#39;&lt;/script&gt;Orchard bees" in body
    assert "&lt;img src=x onerror=&#34;window.__pwned = &#39;author&#39;&#34;&gt;" in body
    # A javascript: URL never becomes a link; a web URL does.
    assert "javascript:" not in body
    # A web URL does, through the click counter, which sends the reader on to that URL and nowhere else.
    # The plain post matches only a query about it too (the cut keeps an unrelated post off the list).
    both = page_text(client.get("/", query_string={"q": "orchard bees and sourdough bread"}))
    found = re.search(r'<a href="(/r/[0-9a-f]{32}/plain-1)">Sourdough at home</a>', both)
    assert found, both
    followed = client.get(found.group(1))
    assert followed.status_code == 302 and followed.headers["Location"] == "https://blog.example/sourdough"
    # The hostile post's javascript: URL has no link to follow, and /r/ will not make one.
    assert client.get(found.group(1).replace("plain-1", "hostile-1")).status_code == 404
    off = create_test_app(hostile_index, ANALYTICS=False).test_client()
    direct = page_text(off.get("/", query_string={"q": "orchard bees and sourdough bread"}))
    assert '<a href="https://blog.example/sourdough">Sourdough at home</a>' in direct
    assert '<time datetime="2024-03-01">2024-03-01</time>' in body


def test_no_match_says_so_and_suggests_what_to_try(client):
    html = page_text(client.get("/", query_string={"q": "leadership", "author": "Nobody At All"}))
    assert "No post matches “leadership”; try fewer words" in html
    assert '<a href="/?q=leadership">search without the filters</a>' in html
    assert 'class="results"' not in html


@pytest.mark.parametrize(("query", "message"), [("a" * 1001, "the limit is 1000"), ("nhs&from=soon", "ISO 8601")])
def test_bad_input_renders_the_page_with_a_400(client, query: str, message: str):
    response = client.get("/?q=" + query)
    assert response.status_code == 400
    html = page_text(response)
    assert 'class="status error"' in html and message in html


def test_pages_use_only_the_apps_own_assets(client):
    html = page_text(client.get("/?q=nature"))
    references = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert references and all(ref.startswith(("/", "#")) for ref in references), references
    for asset in ("search.js", "search.css", "favicon.svg"):
        with client.get(f"/static/{asset}") as response:
            assert response.status_code == 200
            # The SVG namespace is a name, not a fetch.
            text = response.get_data(as_text=True).replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in text and "https://" not in text


def test_pages_forbid_inline_script_and_framing(client):
    headers = client.get("/?q=nhs").headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_embed_is_compact_and_opens_links_in_the_blog_window(client):
    html = page_text(client.get("/embed", query_string={"q": "leaders in the health service"}))
    assert html.count('<li class="result"') == 5
    assert 'data-link-target="_top"' in html and 'action="/embed"' in html
    assert '<a href="/?q=leaders+in+the+health+service" target="_blank" rel="noopener">See all results</a>' in html
    assert 'class="facets"' not in html and 'class="pages"' not in html and 'class="order"' not in html


def test_cross_origin_access_is_off_by_default(client):
    api = client.get("/api/search?q=nhs", headers={"Origin": "https://blog.example"})
    assert "Access-Control-Allow-Origin" not in api.headers
    assert client.get("/embed").headers["Content-Security-Policy"].endswith("frame-ancestors 'self'")


def test_allowed_origins_get_cors_on_the_api_and_may_frame_the_embed(seed_index):
    app = create_test_app(seed_index, ALLOWED_ORIGINS="https://blog.example, https://other.example/")
    client = app.test_client()
    allowed = client.get("/api/search?q=nhs", headers={"Origin": "https://other.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://other.example"
    assert "Origin" in allowed.headers["Vary"]
    refused = client.get("/api/search?q=nhs", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers
    page = client.get("/", headers={"Origin": "https://blog.example"})
    assert "Access-Control-Allow-Origin" not in page.headers
    policy = client.get("/embed").headers["Content-Security-Policy"]
    assert policy.endswith("frame-ancestors 'self' https://blog.example https://other.example")
    assert "X-Frame-Options" not in client.get("/embed").headers
