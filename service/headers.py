"""Response headers: a Content-Security-Policy with no inline script on pages, CORS on /api for allowed origins only."""

from __future__ import annotations

from flask import Flask, Response, request

from service.config import origins as allowed_origins

# Everything the pages use comes from the app itself; inline script and styles are refused.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'"
)
EMBED_ENDPOINT = "web.embed"


def register_headers(app: Flask) -> None:
    origins = allowed_origins(app.config["ALLOWED_ORIGINS"])

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path.startswith("/api/"):
            _cors(response, origins)
        elif response.mimetype == "text/html":
            _page(response, origins, embed=request.endpoint == EMBED_ENDPOINT)
        return response


def _cors(response: Response, origins: frozenset[str]) -> None:
    if not origins:
        return
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET"


def _page(response: Response, origins: frozenset[str], embed: bool) -> None:
    # Only /embed may be framed, and only by the allowed sites; every other page refuses all framing.
    ancestors = " ".join(["'self'", *sorted(origins)]) if embed else "'none'"
    response.headers["Content-Security-Policy"] = f"{PAGE_POLICY}; frame-ancestors {ancestors}"
    response.headers["Referrer-Policy"] = "same-origin"
    if not embed:
        response.headers["X-Frame-Options"] = "DENY"
