"""Fetch a feed over HTTP(S): http and https URLs only (redirects too), a timeout, a size limit, conditional requests
with ETag and Last-Modified, and a CorpusError that says what went wrong and what to do."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from typing import Any
from urllib.parse import urljoin, urlsplit

from index.errors import CorpusError
from index.fetch.body import read_body, too_big

SCHEMES = ("http", "https")
# Per connect and per read, and for the whole transfer: a feed server that answers slowly is retried next time.
TIMEOUT_S = 30.0
# A feed of the latest posts is tens to hundreds of kilobytes; one holding every post of a large blog, tens of MB.
MAX_BYTES = 32 * 1024 * 1024
MAX_REDIRECTS = 5
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, "
    "text/xml;q=0.8, */*;q=0.1"
)


def _user_agent() -> str:
    try:
        version = metadata.version("blog-search")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"blog-search/{version} (feed reader; +python-urllib)"


USER_AGENT = _user_agent()


@dataclass(frozen=True)
class Fetched:
    """What a fetch got: the body, or None when the server said it is not modified since the validators sent."""

    url: str
    body: bytes | None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.body is None


def checked_url(url: str) -> str:
    """The URL, when it is http(s) and names a host; anything else (file:, ftp:, data: …) is a CorpusError."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise CorpusError(
            url,
            None,
            f"only http:// and https:// URLs are read, not {scheme or 'a URL without a scheme'}:; "
            "pass a file or folder on this machine by its path",
        )
    if not parts.hostname:
        raise CorpusError(url, None, "the URL names no host; give the feed's full address, such as https://host/feed/")
    return url


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = TIMEOUT_S,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    """GET the URL, conditionally when given the validators a previous fetch returned (304 gives body None)."""
    checked_url(url)
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + timeout
    try:
        with _opener().open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > max_bytes:
                raise too_big(url, max_bytes)
            encoding = response.headers.get("Content-Encoding", "")
            body = read_body(response, url, encoding, max_bytes, deadline, timeout)
            return Fetched(url, body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 304:
            kept = exc.headers
            return Fetched(url, None, kept.get("ETag") or etag, kept.get("Last-Modified") or last_modified)
        raise CorpusError(url, None, f"the server answered HTTP {exc.code} {exc.reason}; {_advice(exc.code)}") from None
    except urllib.error.URLError as exc:
        raise CorpusError(url, None, _network_problem(url, exc.reason, timeout)) from None
    except (http.client.HTTPException, OSError) as exc:
        raise CorpusError(url, None, _network_problem(url, exc, timeout)) from None


def _advice(code: int) -> str:
    if code in (404, 410):
        return "check the feed's address"
    if code in (401, 403):
        return "the feed is not public to this client; check the address, or the site's firewall or login"
    return "try again later"


def _network_problem(url: str, reason: Any, timeout: float) -> str:
    host = urlsplit(url).hostname
    if isinstance(reason, socket.gaierror):
        return f"cannot find the host {host!r} ({reason.strerror}); check the URL and this machine's DNS"
    if isinstance(reason, ConnectionRefusedError):
        return f"{host} refused the connection; is the site up, and is the port right?"
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s; try again later"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not valid ({reason.verify_message}); fix the site's certificate"
    if isinstance(reason, http.client.HTTPException | ConnectionError):
        return f"the connection broke off ({type(reason).__name__}: {reason}); try again later"
    return f"cannot fetch it ({reason}); try again later"


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows http(s) redirects only: a redirect to file:, ftp: or any other scheme is refused, naming it."""

    max_redirections = MAX_REDIRECTS

    def http_error_302(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: http.client.HTTPMessage
    ) -> Any:
        target = headers.get("Location") or headers.get("URI")
        if target:
            scheme = urlsplit(urljoin(req.full_url, target)).scheme.lower()
            if scheme not in SCHEMES:
                fp.close()
                raise CorpusError(
                    req.full_url,
                    None,
                    f"redirected to {target[:120]!r}; only http:// and https:// redirects are followed: "
                    "give the feed's own http(s) address",
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener() -> urllib.request.OpenerDirector:
    """HTTP and HTTPS only: no file:, ftp: or data: handler exists to be reached, by a URL or a redirect."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _Redirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener
