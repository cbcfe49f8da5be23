"""Operator endpoints, off unless ADMIN_TOKEN is set: `POST /admin/reload` swaps in the version `current` names, and
`PUT`/`DELETE`/`GET /admin/posts/<id>` take a CMS's changes (journalled durably, then built in the background)."""

from __future__ import annotations

import hmac
import math
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from index.errors import CorpusError, IndexFormatError
from index.journal import Change, Journal, checked_id, pushed_post
from service.applier import start_applier
from service.errors import ApiError
from service.ratelimit import client_key, retry_after
from service.serving import served_index

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


@admin.put("/posts/<post_id>")
def put_post(post_id: str) -> ResponseReturnValue:
    """Add or replace a post: 202 once the change is on disk; searchable after the background build."""
    require_token()
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "bad_json", "send the post as a JSON object (Content-Type: application/json)")
    try:
        post = pushed_post(post_id, body)
    except CorpusError as exc:
        raise ApiError(422, "invalid_post", exc.problem) from None
    return _accepted(_journal_root(), post_id, post)


@admin.delete("/posts/<post_id>")
def delete_post(post_id: str) -> ResponseReturnValue:
    """Remove a post (unpublished, trashed, deleted in the CMS): 202 once on disk; gone after the background build.
    `?url=` also removes the post with that address, indexed from an export or feed under another id."""
    require_token()
    url = request.args.get("url", "").strip()[:2000] or None
    return _accepted(_journal_root(), _checked(post_id), None, url)


@admin.get("/posts/<post_id>")
def post_status(post_id: str) -> ResponseReturnValue:
    """Whether a post's last change is pending or live in the version served, and whether it is served at all."""
    require_token()
    post_id = _checked(post_id)
    index = served_index()
    served = post_id in index.posts
    journal = Journal.existing(_journal_root())
    change = None
    if journal is not None:
        with journal:
            change = journal.latest(post_id)
    if change is None and not served:
        raise ApiError(404, "not_found", f"no post {post_id!r} is served or was pushed")
    status = _status(change, served)
    body: dict[str, Any] = {"id": post_id, "status": status, "served": served, "version": index.version}
    body["change"] = change.to_json() if change else None
    return jsonify(body)


def _status(change: Change | None, served: bool) -> str:
    """live: served as pushed (or from the sources, with no push); deleted: its delete is live; pending: waiting
    for a build, or built into a version this process does not serve yet."""
    if change is None:
        return "live"
    if change.pending:
        return "pending"
    if change.op == "delete":
        return "pending" if served else "deleted"
    return "live" if served else "pending"


def _checked(post_id: str) -> str:
    try:
        return checked_id(post_id)
    except CorpusError as exc:
        raise ApiError(422, "invalid_post", exc.problem) from None


def _journal_root() -> Path:
    """The index folder that pushes build into; a folder that is itself one version (no `current`) has none."""
    served = current_app.extensions["served_index"]
    if served.pointed_at() is None:
        raise ApiError(
            409,
            "not_a_versioned_index",
            f"{served.root} is a single index version, which pushes cannot rebuild; serve an index folder made by "
            "scripts/build_index.py --out DIR",
        )
    return Path(served.root)


def _accepted(root: Path, post_id: str, post: Any, url: str | None = None) -> ResponseReturnValue:
    try:
        with Journal(root) as journal:
            change = journal.record(post_id, post, url)
    except (IndexFormatError, OSError) as exc:
        # Nothing was accepted: the CMS must send it again, so it must not hear 202.
        raise ApiError(503, "journal_unavailable", f"the change was not stored: {exc}") from None
    start_applier(root, current_app.config["PUSH_QUIET_SECONDS"])
    return jsonify({"id": post_id, "status": "pending", "change": change.to_json()}), 202
