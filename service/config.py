"""Settings: defaults, overridden by BLOG_SEARCH_* environment variables, overridden by create_app's mapping; checked
once, so a bad value stops the service before it binds instead of failing every request."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from index.relevance import RELEVANCE_CUT

DEFAULTS: dict[str, Any] = {
    "INDEX_DIR": "var/index",
    "MAX_QUERY_CHARS": 1000,
    "DEFAULT_K": 10,
    "MAX_K": 100,
    # A passage matches a query when its score (0 to 1) reaches this; a post, when one of its passages does. It
    # decides which posts a search lists, counts, facets and orders by date (index/relevance.py: why 0.25).
    "RELEVANCE_CUT": RELEVANCE_CUT,
    # Bytes a request body may have; only the push API takes one, so anything bigger is refused with 413.
    "MAX_CONTENT_LENGTH": 16 * 1024,
    # Bytes a pushed post (`PUT /admin/posts/<id>`) may have: a post's text is capped at 1,000,000 characters.
    "MAX_POST_BYTES": 4 * 1024 * 1024,
    # Off when empty: the token the /admin endpoints (reload, pushed posts) require.
    "ADMIN_TOKEN": "",
    # Seconds without a new push before the pushed changes are built, so a burst of saves makes one build.
    "PUSH_QUIET_SECONDS": 1.0,
    # Seconds between checks for a new `current` version; 0 turns polling off.
    "RELOAD_INTERVAL": 1.0,
    # Searches per minute each client may make (API and pages), and how many it may make at once; 0 turns it off.
    "RATE_LIMIT_PER_MINUTE": 1200,
    "RATE_LIMIT_BURST": 120,
    # Behind reverse proxies: take the client address from X-Forwarded-For, TRUSTED_PROXIES entries from the right.
    "TRUST_PROXY": False,
    "TRUSTED_PROXIES": 1,
    # Sites allowed to frame /embed and to call /api from a browser; none by default.
    "ALLOWED_ORIGINS": "",
    # The query log editors read at /admin/ (service/analytics.py): on by default, never anything identifying.
    "ANALYTICS": True,
    # Its SQLite file; empty: analytics.sqlite3 in the index folder's parent.
    "ANALYTICS_PATH": "",
    # Days a logged query is kept; older rows are deleted daily.
    "ANALYTICS_RETENTION_DAYS": 90,
    # A query text seen fewer times than this in the period is never shown.
    "ANALYTICS_MIN_COUNT": 2,
}
ENV_PREFIX = "BLOG_SEARCH_"
# Read by `python -m service` itself (the server's shape), not by the app.
SERVER_SETTINGS = ("WORKERS", "CONNECTIONS")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
# A bare origin: scheme, host (a name, an IPv4 address or a bracketed IPv6 one) and an optional port; nothing else.
_ORIGIN = re.compile(
    r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
)


class SettingError(ValueError):
    """A setting has a value the service cannot run with; the message names it and says what it takes."""

    def __init__(self, name: str, value: Any, expected: str) -> None:
        super().__init__(f"{ENV_PREFIX}{name}={value!r} is not valid: {expected}")
        self.name = name


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings, checked: raises SettingError naming the first bad one, or an unknown BLOG_SEARCH_ variable."""
    config = dict(DEFAULTS)
    for key in os.environ:
        name = key.removeprefix(ENV_PREFIX)
        if key.startswith(ENV_PREFIX) and name not in DEFAULTS and name not in SERVER_SETTINGS:
            known = ", ".join(ENV_PREFIX + n for n in [*DEFAULTS, *SERVER_SETTINGS])
            raise SettingError(name, os.environ[key], f"no such setting (a typo?); the settings are {known}")
    for name, default in DEFAULTS.items():
        raw = os.environ.get(ENV_PREFIX + name)
        if raw is not None:
            config[name] = parse(name, raw, default)
    config.update(overrides or {})
    check(config)
    return config


def parse(name: str, raw: str, default: Any) -> Any:
    """An environment variable's text as the type of its default."""
    text = raw.strip()
    if isinstance(default, bool):
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise SettingError(name, raw, "true or false (also 1/0, yes/no, on/off)")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise SettingError(name, raw, "a whole number") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise SettingError(name, raw, "a number") from None
    return raw


def check(config: Mapping[str, Any]) -> None:
    """Every setting within what the service can run with, and consistent with the others."""
    whole = {
        "MAX_QUERY_CHARS": 1,
        "DEFAULT_K": 1,
        "MAX_K": 1,
        "MAX_CONTENT_LENGTH": 0,
        "MAX_POST_BYTES": 0,
        "RATE_LIMIT_PER_MINUTE": 0,
        "RATE_LIMIT_BURST": 0,
        "TRUSTED_PROXIES": 1,
        "ANALYTICS_RETENTION_DAYS": 1,
        "ANALYTICS_MIN_COUNT": 1,
    }
    for name, least in whole.items():
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise SettingError(name, value, f"a whole number, at least {least}")
    if config["DEFAULT_K"] > config["MAX_K"]:
        raise SettingError("DEFAULT_K", config["DEFAULT_K"], f"at most MAX_K ({config['MAX_K']})")
    if config["RATE_LIMIT_PER_MINUTE"] and config["RATE_LIMIT_BURST"] < 1:
        burst = config["RATE_LIMIT_BURST"]
        raise SettingError("RATE_LIMIT_BURST", burst, "at least 1 while the rate limit is on (0 refuses every request)")
    interval = config["RELOAD_INTERVAL"]
    if isinstance(interval, bool) or not isinstance(interval, int | float) or not 0 <= interval < float("inf"):
        raise SettingError("RELOAD_INTERVAL", interval, "seconds, 0 or more (0 turns the check off)")
    cut = config["RELEVANCE_CUT"]
    if isinstance(cut, bool) or not isinstance(cut, int | float) or not 0 <= cut <= 1:
        raise SettingError("RELEVANCE_CUT", cut, "a number from 0 to 1 (the score a result needs)")
    quiet = config["PUSH_QUIET_SECONDS"]
    if isinstance(quiet, bool) or not isinstance(quiet, int | float) or not 0 <= quiet <= 3600:
        raise SettingError("PUSH_QUIET_SECONDS", quiet, "seconds, from 0 to 3600")
    if not isinstance(config["ANALYTICS"], bool):
        raise SettingError("ANALYTICS", config["ANALYTICS"], "true or false")
    if not isinstance(config["ANALYTICS_PATH"], str):
        raise SettingError("ANALYTICS_PATH", config["ANALYTICS_PATH"], "a file path, or empty")
    if not isinstance(config["TRUST_PROXY"], bool):
        raise SettingError("TRUST_PROXY", config["TRUST_PROXY"], "true or false")
    for name in ("INDEX_DIR", "ADMIN_TOKEN"):
        if not isinstance(config[name], str) or (name == "INDEX_DIR" and not config[name].strip()):
            raise SettingError(name, config[name], "a string" + (", not empty" if name == "INDEX_DIR" else ""))
    origins(config["ALLOWED_ORIGINS"])


def origins(setting: str | Any) -> frozenset[str]:
    """ALLOWED_ORIGINS (comma- or space-separated, or a list) as exact origins, each a bare scheme://host[:port].

    Origins go into the Content-Security-Policy header, so anything else (a path, `;`, a quote) could add directives.
    """
    items = setting.replace(",", " ").split() if isinstance(setting, str) else list(setting)
    allowed = set()
    for item in items:
        origin = item.strip().rstrip("/") if isinstance(item, str) else item
        match = _ORIGIN.fullmatch(origin) if isinstance(origin, str) else None
        if match is None or int(match["port"] or 0) > 65535:
            raise SettingError(
                "ALLOWED_ORIGINS", item, "origins such as https://blog.example.org or http://localhost:4000, no path"
            )
        allowed.add(origin)
    return frozenset(allowed)
