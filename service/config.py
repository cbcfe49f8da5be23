"""Settings: defaults, overridden by BLOG_SEARCH_* environment variables, overridden by create_app's mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    "INDEX_DIR": "var/index",
    "MAX_QUERY_CHARS": 1000,
    "DEFAULT_K": 10,
    "MAX_K": 100,
    # Bytes a request body may have; no endpoint takes one, so anything bigger is refused with 413.
    "MAX_CONTENT_LENGTH": 16 * 1024,
    # Off when empty: the token `POST /admin/reload` requires.
    "ADMIN_TOKEN": "",
    # Seconds between checks for a new `current` version; 0 turns polling off.
    "RELOAD_INTERVAL": 1.0,
    # Requests per minute each client may make to /api, and how many it may make at once; 0 turns the limit off.
    "RATE_LIMIT_PER_MINUTE": 1200,
    "RATE_LIMIT_BURST": 120,
    # Behind a reverse proxy: take the client address from X-Forwarded-For (only if the proxy sets it).
    "TRUST_PROXY": False,
    # Sites allowed to frame /embed and to call /api from a browser; none by default.
    "ALLOWED_ORIGINS": "",
}
ENV_PREFIX = "BLOG_SEARCH_"


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    config = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = os.environ.get(ENV_PREFIX + name)
        if raw is not None:
            config[name] = (
                raw.strip().lower() in {"1", "true", "yes", "on"} if isinstance(default, bool) else type(default)(raw)
            )
    config.update(overrides or {})
    return config
