"""Operational endpoints: liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@ops.get("/readyz")
def readyz() -> ResponseReturnValue:
    index = current_app.extensions.get("search_index")
    if index is None:
        return jsonify({"status": "not ready"}), 503
    manifest = index.manifest
    return jsonify(
        {
            "status": "ready",
            "version": manifest.version,
            "posts": manifest.posts,
            "passages": manifest.passages,
            "model": manifest.model_id,
            "built_at": manifest.built_at,
        }
    )
