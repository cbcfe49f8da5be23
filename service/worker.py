"""The gunicorn worker: gevent, so a slow or idle client holds a greenlet, never a thread a search needs."""

from __future__ import annotations

import json
import socket
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestLine
from gunicorn.workers.ggevent import GeventWorker

# gunicorn reads request lines up to this many bytes at most, whatever it is set to.
REQUEST_LINE_LIMIT = 8190


class SearchWorker(GeventWorker):
    """gunicorn's gevent worker, whose answer to an over-long request line is the API's JSON error, not HTML.

    The request line is cut before any route runs, so the path is not known: the JSON shape is the one clients of
    the API parse, and a browser shows it as text.
    """

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        if not isinstance(exc, LimitRequestLine):
            super().handle_error(req, client, addr, exc)
            return
        limit = getattr(self.wsgi, "config", {}).get("MAX_QUERY_CHARS")
        message = f"the request line is over {REQUEST_LINE_LIMIT} bytes; shorten the query" + (
            f" (at most {limit} characters)" if limit else ""
        )
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        body = json.dumps({"error": {"code": "request_uri_too_large", "message": message}}).encode()
        head = (
            "HTTP/1.1 414 URI Too Long\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"X-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1")
        try:
            util.write_nonblock(client, head + body)
        except OSError:
            self.log.debug("Failed to send the 414 answer.")
