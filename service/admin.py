"""Operator endpoints, off unless ADMIN_TOKEN is set: `POST /admin/reload` swaps in the version `current` names."""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from service.errors import ApiError

admin = Blueprint("admin", __name__, url_prefix="/admin")


def require_token() -> None:
    """A Bearer token equal to ADMIN_TOKEN, compared in constant time; the endpoints are off without one."""
    expected = current_app.config["ADMIN_TOKEN"]
    if not expected:
        raise ApiError(403, "admin_disabled", "admin endpoints are off; set BLOG_SEARCH_ADMIN_TOKEN to turn them on")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode("utf-8"), str(expected).encode("utf-8")):
        raise ApiError(401, "unauthorized", "send the admin token as `Authorization: Bearer TOKEN`")


@admin.post("/reload")
def reload() -> ResponseReturnValue:
    require_token()
    outcome = current_app.extensions["served_index"].reload()
    return jsonify(outcome.to_json()), 409 if outcome.status == "refused" else 200
