"""Per-client token buckets: one budget for searches (API and pages), 429 with Retry-After when it is spent; and a
small one for failed admin logins."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, request

from service.errors import ApiError

MAX_TRACKED_CLIENTS = 10_000
# Wrong admin tokens a client may send before it must wait, and how fast that allowance comes back: enough for an
# operator's typos, far too few to guess a token.
ADMIN_FAILURES_BURST = 5
ADMIN_FAILURES_PER_MINUTE = 1


class TokenBuckets:
    """One bucket per client key; the least recently seen clients are forgotten past a fixed number."""

    def __init__(self, per_minute: int, burst: int) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def take(self, client: str, now: float | None = None, spend: bool = True) -> float:
        """Spend one token (or only look, with spend=False); 0 when there was one, else the seconds until there is."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, seen = self.buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - seen) * self.rate)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
            self.buckets[client] = (tokens - 1.0 if wait == 0.0 and spend else tokens, now)
            while len(self.buckets) > MAX_TRACKED_CLIENTS:
                self.buckets.popitem(last=False)
        return wait


def install_rate_limit(app: Flask) -> None:
    app.extensions["admin_failures"] = TokenBuckets(ADMIN_FAILURES_PER_MINUTE, ADMIN_FAILURES_BURST)
    per_minute = int(app.config["RATE_LIMIT_PER_MINUTE"])
    if per_minute > 0:
        app.extensions["rate_limit"] = TokenBuckets(per_minute, int(app.config["RATE_LIMIT_BURST"]))
    app.before_request(_check_api)


def client_key() -> str:
    """The client's address. Behind TRUSTED_PROXIES proxies (TRUST_PROXY on), each appends the address it was reached
    from to X-Forwarded-For, so the client is that many entries from the right; entries further left are whatever
    the client chose to send and are never trusted."""
    remote = request.remote_addr or "unknown"
    if not current_app.config["TRUST_PROXY"]:
        return remote
    hops = int(current_app.config["TRUSTED_PROXIES"])
    entries = [e.strip() for v in request.headers.getlist("X-Forwarded-For") for e in v.split(",") if e.strip()]
    return entries[-hops] if len(entries) >= hops else remote


def retry_after(wait: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait)))}


def search_allowed() -> float:
    """Spend one of this client's search tokens: 0 when allowed, else the seconds until one is available."""
    buckets = current_app.extensions.get("rate_limit")
    return buckets.take(client_key()) if buckets is not None else 0.0


def _check_api() -> None:
    if not request.path.startswith("/api/"):
        return
    wait = search_allowed()
    if wait > 0:
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests from this client; retry in {math.ceil(wait)} s",
            headers=retry_after(wait),
        )
