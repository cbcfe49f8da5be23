"""A loopback HTTP server for the feed tests: serves documents with ETag and Last-Modified (answering conditional
requests with 304), gzips when asked, counts requests, and takes a handler per path for what a real server may do
wrong (fail, redirect anywhere, stall, send too much)."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Document:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FeedServer:
    port: int = 0
    documents: dict[str, Document] = field(default_factory=dict)
    routes: dict[str, Route] = field(default_factory=dict)
    # (path, request headers, status answered) for every request, in order.
    requests: list[tuple[str, dict[str, str], int]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def put(self, path: str, body: bytes | str, *, etag: bool = True, last_modified: bool = True, **kw: str) -> str:
        """Serve body at path with validators that change with it; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        tag = f'"{hashlib.sha256(data).hexdigest()[:16]}"' if etag else None
        stamp = formatdate(usegmt=True) if last_modified else None
        self.documents[path] = Document(data, etag=tag, last_modified=stamp, **kw)
        self.routes.pop(path, None)
        return self.url(path)

    def statuses(self, path: str) -> list[int]:
        return [status for seen, _, status in self.requests if seen == path]


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path in server.routes:
                server.requests.append((path, dict(self.headers), 0))
                server.routes[path](self)
                return
            document = server.documents.get(path)
            status = 404 if document is None else 200
            if document and (
                (document.etag and self.headers.get("If-None-Match") == document.etag)
                or (
                    not self.headers.get("If-None-Match")
                    and document.last_modified
                    and self.headers.get("If-Modified-Since") == document.last_modified
                )
            ):
                status = 304
            server.requests.append((path, dict(self.headers), status))
            self.send_response(status)
            if document is not None:
                if document.etag:
                    self.send_header("ETag", document.etag)
                if document.last_modified:
                    self.send_header("Last-Modified", document.last_modified)
            body = b"" if status == 304 else (document.body if document else b"not found")
            if body and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                body = gzip.compress(body)
                self.send_header("Content-Encoding", "gzip")
            if status != 304:
                self.send_header("Content-Type", document.content_type if document else "text/plain")
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


def status_route(status: int, body: bytes = b"", **headers: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def rss(entries: list[dict], title: str = "Ward notes") -> str:
    """An RSS 2.0 feed, newest first: each entry a dict of title, link, author, date (RFC 822), text, tags."""
    items = "".join(
        "<item>"
        f"<title>{escape(e['title'])}</title><link>{escape(e['link'])}</link><guid>{escape(e['link'])}</guid>"
        f"<dc:creator>{escape(e.get('author', 'Ann Baker'))}</dc:creator>"
        f"<pubDate>{e.get('date', 'Mon, 06 May 2024 09:00:00 +0000')}</pubDate>"
        + "".join(f"<category>{escape(tag)}</category>" for tag in e.get("tags", ()))
        + f"<description>{escape(e['text'])}</description>"
        "</item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>https://blog.example.org/</link><description>d</description>"
        f"{items}</channel></rss>"
    )
