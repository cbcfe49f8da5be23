"""The JSON error shape of the API: {"error": {"code", "message"}} with a 4xx status."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, NotFound

from index.errors import QueryError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> tuple[Response, int]:
    response = jsonify({"error": {"code": code, "message": message}})
    response.headers.update(headers or {})
    return response, status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> tuple[Response, int]:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.errorhandler(QueryError)
    def query_error(exc: QueryError) -> tuple[Response, int]:
        return error_response(400, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        """Under /api and /admin every HTTP error, a 500 included, gets the JSON shape; its description never holds a
        traceback."""
        if not (is_api_path(request.path) or request.path.startswith("/admin/")):
            return exc.get_response()
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if isinstance(exc, NotFound):
            message = f"no API endpoint at {request.path}; see /openapi.json"
        # Allow on a 405 says which methods the route takes.
        headers = {name: value for name, value in exc.get_headers() if name != "Content-Type"}
        return error_response(exc.code or 500, code, message, headers)


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")
