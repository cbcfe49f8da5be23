"""A per-client token bucket on the API: generous by default, 429 with Retry-After when exceeded."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from flask import Flask, current_app, request

from service.errors import ApiError

MAX_TRACKED_CLIENTS = 10_000


class TokenBuckets:
    """One bucket per client key; the least recently seen clients are forgotten past a fixed number."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """Spend one token; returns 0 when allowed, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, seen = self.buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - seen) * self.rate)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
            self.buckets[client] = (tokens - 1.0 if wait == 0.0 else tokens, now)
            while len(self.buckets) > MAX_TRACKED_CLIENTS:
                self.buckets.popitem(last=False)
        return wait


def install_rate_limit(app: Flask) -> None:
    per_minute = int(app.config["RATE_LIMIT_PER_MINUTE"])
    if per_minute <= 0:
        return
    app.extensions["rate_limit"] = TokenBuckets(per_minute, int(app.config["RATE_LIMIT_BURST"]))
    app.before_request(_check)


def client_key() -> str:
    """The client address; behind a proxy that sets X-Forwarded-For, only when TRUST_PROXY says to trust it."""
    if current_app.config["TRUST_PROXY"]:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.remote_addr or "unknown"


def _check() -> None:
    if not request.path.startswith("/api/"):
        return
    wait = current_app.extensions["rate_limit"].take(client_key())
    if wait > 0:
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests from this client; retry in {math.ceil(wait)} s",
            headers={"Retry-After": str(math.ceil(wait))},
        )
