"""Feed URLs: fetched over http(s) only (redirects too), within a timeout and a size limit, conditionally with
ETag and Last-Modified, gzip decoded, and every failure a CorpusError saying what went wrong; read as feeds only."""

from __future__ import annotations

import gzip
import socket
import time
from http.server import BaseHTTPRequestHandler

import pytest

from index import CorpusError, read_sources
from index.fetch import USER_AGENT, fetch
from scripts import build_index
from tests.feed_server import FeedServer, feed_server, rss, status_route

ENTRIES = [
    {
        "title": "Night handovers",
        "link": "https://blog.example.org/2024/05/night-handovers/",
        "author": "Dr Ryan Kemp",
        "date": "Mon, 06 May 2024 09:00:00 +0000",
        "text": "Handovers at night lose detail; a written checklist keeps it.",
        "tags": ["handover", "nights"],
    },
    {
        "title": "Rota gaps",
        "link": "https://blog.example.org/2024/04/rota-gaps/",
        "text": "Gaps in the rota are filled by locums at short notice.",
    },
]


@pytest.fixture()
def server():
    with feed_server() as running:
        yield running


def test_a_feed_url_is_read_with_attribution_and_its_url_as_source(server: FeedServer):
    url = server.put("/feed/", rss(ENTRIES))
    report = read_sources([url])
    first = next(p for p in report.posts if p.title == "Night handovers")
    assert (first.author, first.url, first.published, first.tags, first.source) == (
        "Dr Ryan Kemp",
        "https://blog.example.org/2024/05/night-handovers/",
        "2024-05-06T09:00:00+00:00",
        ("handover", "nights"),
        url,
    )
    assert first.text == "Handovers at night lose detail; a written checklist keeps it."
    assert report.read == [f"{url}: 2 posts (RSS/Atom feed at a URL) of 2 entries, 0 skipped"]
    (_, headers, _), *_ = server.requests
    assert headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("blog-search/")
    assert "gzip" in headers["Accept-Encoding"]


def test_a_second_fetch_with_the_validators_gets_not_modified(server: FeedServer):
    url = server.put("/feed/", rss(ENTRIES))
    first = fetch(url)
    assert first.body and first.etag and first.last_modified
    again = fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and (again.etag, again.last_modified) == (first.etag, first.last_modified)
    assert server.requests[-1][1]["If-None-Match"] == first.etag
    assert server.statuses("/feed/") == [200, 304]

    # A server that gives only Last-Modified is asked with If-Modified-Since alone.
    url = server.put("/dated/", rss(ENTRIES), etag=False)
    dated = fetch(url)
    assert dated.etag is None
    assert fetch(url, last_modified=dated.last_modified).not_modified
    assert server.requests[-1][1]["If-Modified-Since"] == dated.last_modified


def test_gzip_is_decoded_and_counts_against_the_limit_unzipped(server: FeedServer):
    url = server.put("/feed/", rss(ENTRIES))
    assert fetch(url).body == rss(ENTRIES).encode("utf-8")
    assert server.requests[-1][2] == 200

    # 20 MB of spaces is 20 kB gzipped: refused at the limit, not unzipped whole into memory.
    bomb = gzip.compress(b"<rss>" + b" " * 20_000_000)
    server.routes["/bomb"] = status_route(200, bomb, Content_Encoding="gzip")
    with pytest.raises(CorpusError, match="over the 1,000,000-byte limit"):
        fetch(server.url("/bomb"), max_bytes=1_000_000)


def test_a_response_over_the_size_limit_is_refused(server: FeedServer):
    server.put("/big", b"<rss>" + b"x" * 2_000_000)
    with pytest.raises(CorpusError, match=r"over the 1,000,000-byte limit for a feed; is this the feed's address"):
        fetch(server.url("/big"), max_bytes=1_000_000)

    def endless(handler: BaseHTTPRequestHandler) -> None:
        # No Content-Length: the body ends when the connection closes, and would not end for a long while.
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        try:
            for _ in range(10_000):
                handler.wfile.write(b"x" * 65536)
        except OSError:
            pass

    server.routes["/endless"] = endless
    started = time.monotonic()
    with pytest.raises(CorpusError, match="over the 1,000,000-byte limit"):
        fetch(server.url("/endless"), max_bytes=1_000_000)
    assert time.monotonic() - started < 5


def test_a_server_that_does_not_answer_in_time_is_given_up(server: FeedServer):
    def silent(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(3)

    def dripping(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(100):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    server.routes["/silent"] = silent
    server.routes["/drip"] = dripping
    started = time.monotonic()
    with pytest.raises(CorpusError, match=r"no answer within 0\.5 s; try again later"):
        fetch(server.url("/silent"), timeout=0.5)
    # Each byte comes within the timeout, but the whole transfer does not.
    with pytest.raises(CorpusError, match=r"took over 0\.5 s to arrive"):
        fetch(server.url("/drip"), timeout=0.5)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://blog.example.org/feed.xml", "data:text/xml,<rss/>", "javascript:alert(1)"],
)
def test_only_http_and_https_urls_are_read(url: str, capsys):
    with pytest.raises(CorpusError, match=r"only http:// and https:// URLs are read"):
        read_sources([url])
    assert build_index.main([url, "--out", "/nonexistent/never-made"]) == 2
    assert "only http:// and https:// URLs are read" in capsys.readouterr().err


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "data:text/xml,<rss/>"])
def test_a_redirect_to_another_scheme_is_refused(server: FeedServer, target: str):
    server.routes["/moved"] = status_route(302, Location=target)
    with pytest.raises(CorpusError, match=r"redirected to .*only http:// and https:// redirects are followed"):
        fetch(server.url("/moved"))


def test_an_http_redirect_is_followed(server: FeedServer):
    server.put("/feed/", rss(ENTRIES))
    server.routes["/old-feed"] = status_route(301, Location="/feed/")
    assert fetch(server.url("/old-feed")).body == rss(ENTRIES).encode("utf-8")


def test_failures_say_what_went_wrong(server: FeedServer):
    with pytest.raises(CorpusError, match=r"/missing: the server answered HTTP 404 Not Found; check the feed"):
        fetch(server.url("/missing"))
    server.routes["/broken"] = status_route(500)
    with pytest.raises(CorpusError, match=r"HTTP 500 Internal Server Error; try again later"):
        fetch(server.url("/broken"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(CorpusError, match="refused the connection; is the site up"):
        fetch(f"http://127.0.0.1:{closed}/feed/")
    with pytest.raises(CorpusError, match=r"cannot find the host 'feed\.invalid'"):
        fetch("http://feed.invalid/feed/")


def test_only_feeds_are_read_from_a_url(server: FeedServer):
    html = "<!DOCTYPE html><html><head><title>Blog</title></head><body><p>Hello</p></body></html>"
    url = server.put("/", html, content_type="text/html")
    with pytest.raises(CorpusError, match=r"not an RSS or Atom feed \(its root is <html>\); give the feed's address"):
        read_sources([url])
    url = server.put("/posts.json", '[{"id": 1}]', content_type="application/json")
    with pytest.raises(CorpusError, match=r"not an RSS or Atom feed \(it is not XML\)"):
        read_sources([url])
    export = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
        "<item><title>Draft</title><wp:status>draft</wp:status></item></channel></rss>"
    )
    url = server.put("/export.xml", export)
    with pytest.raises(CorpusError, match="is a WordPress export, not a feed"):
        read_sources([url])
    # An export's markers anywhere else in a feed are refused too, as they are in a file.
    status = '<wp:status xmlns:wp="http://wordpress.org/export/1.2/">draft</wp:status>'
    marked = rss(ENTRIES).replace("<dc:creator>", status + "<dc:creator>", 1)
    url = server.put("/marked.xml", marked)
    with pytest.raises(CorpusError, match="WordPress export namespace"):
        read_sources([url])
