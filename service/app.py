"""The app factory: load settings once, open and verify the index, register one blueprint per concern."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from index import Index
from service.admin import admin
from service.api import api
from service.config import load_config
from service.errors import register_error_handlers
from service.headers import register_headers
from service.jsonio import install_fast_json
from service.limits import install_body_limit
from service.observability import install_observability
from service.openapi import openapi
from service.ops import ops
from service.ratelimit import install_rate_limit
from service.reload import ServedIndex
from service.web import web


def create_app(config: Mapping[str, Any] | None = None, index: Index | None = None) -> Flask:
    """Build the app; opens the index under INDEX_DIR unless one is passed (tests share one)."""
    app = Flask(__name__)
    app.config.update(load_config(config))
    install_fast_json(app)
    root = Path(app.config["INDEX_DIR"])
    app.extensions["served_index"] = ServedIndex(root, index or Index.open(root), app.config["RELOAD_INTERVAL"])
    register_error_handlers(app)
    install_observability(app)
    install_rate_limit(app)
    install_body_limit(app)
    app.register_blueprint(api)
    app.register_blueprint(openapi)
    app.register_blueprint(ops)
    app.register_blueprint(admin)
    app.register_blueprint(web)
    register_headers(app)
    return app
