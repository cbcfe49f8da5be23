"""Operator endpoints, off unless ADMIN_TOKEN is set: `POST /admin/reload` swaps in the version `current` names."""

from __future__ import annotations

import hmac
import math

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from service.errors import ApiError
from service.ratelimit import client_key, retry_after

admin = Blueprint("admin", __name__, url_prefix="/admin")


def require_token() -> None:
    """A Bearer token equal to ADMIN_TOKEN, compared in constant time; the endpoints are off without one.

    A client that has sent too many wrong tokens is refused, right token or not, until its allowance comes back.
    """
    expected = current_app.config["ADMIN_TOKEN"]
    if not expected:
        raise ApiError(403, "admin_disabled", "admin endpoints are off; set BLOG_SEARCH_ADMIN_TOKEN to turn them on")
    failures, client = current_app.extensions["admin_failures"], client_key()
    wait = failures.take(client, spend=False)
    if wait > 0:
        message = f"too many wrong admin tokens from this client; retry in {math.ceil(wait)} s"
        raise ApiError(429, "rate_limited", message, headers=retry_after(wait))
    scheme, _, given = request.headers.get("Authorization", "").strip().partition(" ")
    right = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), str(expected).encode())
    if not right:
        failures.take(client)
        raise ApiError(401, "unauthorized", "send the admin token as `Authorization: Bearer TOKEN`")


@admin.post("/reload")
def reload() -> ResponseReturnValue:
    require_token()
    outcome = current_app.extensions["served_index"].reload()
    return jsonify(outcome.to_json()), 409 if outcome.status == "refused" else 200
