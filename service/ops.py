"""Operational endpoints: liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from service.serving import served_index

ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@ops.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The version being served; `refused` says which newer version failed its checks and why, if one did."""
    served = current_app.extensions.get("served_index")
    if served is None or served.available() is None:
        error = served.unavailable if served is not None else None
        return jsonify({"status": "not ready", "error": error}), 503
    manifest = served_index().manifest
    return jsonify(
        {
            "status": "ready",
            "version": manifest.version,
            "posts": manifest.posts,
            "passages": manifest.passages,
            "model": manifest.model_id,
            "built_at": manifest.built_at,
            "refused": served.refused,
        }
    )
