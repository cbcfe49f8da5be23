"""The app factory: load settings once, open and verify the index, register one blueprint per concern."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from index import Index, SearchError
from service.admin import admin
from service.analytics import QueryLog, analytics_path
from service.api import api
from service.applier import has_pending, start_applier
from service.config import load_config
from service.errors import register_error_handlers
from service.headers import register_headers
from service.insights import insights
from service.jsonio import install_fast_json
from service.limits import install_body_limit
from service.observability import install_observability
from service.openapi import openapi
from service.ops import ops
from service.ratelimit import install_rate_limit
from service.reload import ServedIndex
from service.web import web

log = logging.getLogger(__name__)


def create_app(
    config: Mapping[str, Any] | None = None, index: Index | None = None, wait_for_index: bool = False
) -> Flask:
    """Build the app; opens the index under INDEX_DIR unless one is passed (tests share one).

    With wait_for_index (a server's worker), an index that cannot be opened does not stop the app: it answers 503
    until a retry opens one. Without, the error is raised. Bad settings always raise service.config.SettingError.
    """
    app = Flask(__name__)
    app.config.update(load_config(config))
    install_fast_json(app)
    root = Path(app.config["INDEX_DIR"])
    unavailable = None
    if index is None:
        try:
            index = Index.open(root)
        except SearchError as exc:
            if not wait_for_index:
                raise
            unavailable = str(exc)
            log.error("pid %d cannot open the index, answers 503 not_ready and keeps trying: %s", os.getpid(), exc)
    served = ServedIndex(root, index, app.config["RELOAD_INTERVAL"], unavailable=unavailable)
    app.extensions["served_index"] = served
    if served.pointed_at() is not None and has_pending(root):
        # Changes accepted (202) before the last stop that no build holds yet: build them now.
        log.warning("pid %d found pushed changes not yet built in %s; building them", os.getpid(), root)
        start_applier(root, app.config["PUSH_QUIET_SECONDS"])
    register_error_handlers(app)
    install_observability(app)
    metrics = app.extensions["request_metrics"]
    app.extensions["query_log"] = (
        QueryLog(
            analytics_path(app.config),
            app.config["ANALYTICS_RETENTION_DAYS"],
            on_written=metrics.analytics_written.inc,
            on_dropped=metrics.analytics_dropped.inc,
        )
        if app.config["ANALYTICS"]
        else None
    )
    install_rate_limit(app)
    install_body_limit(app)
    app.register_blueprint(api)
    app.register_blueprint(openapi)
    app.register_blueprint(ops)
    app.register_blueprint(admin)
    app.register_blueprint(insights)
    app.register_blueprint(web)
    register_headers(app)
    return app
