"""Search analytics for editors: `GET /admin/analytics` (JSON), `/admin/analytics.csv`, the `/admin/` page with its
login form, and the result links' click counter `/r/<query id>/<post id>`.

The page is rendered on the server, chart included (SVG), and needs no JavaScript. Logging in with the admin token
sets an HttpOnly, SameSite=Strict cookie scoped to /admin that holds a signed expiry, never the token; the JSON and
CSV routes take that cookie or `Authorization: Bearer TOKEN`. The redirect only ever goes to a URL the served
index holds for that post: it is never an open redirect.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service.admin import require_token
from service.analytics import QueryLog, analytics_path, report
from service.errors import ApiError
from service.ratelimit import client_key, retry_after
from service.serving import served_index
from service.web import link

insights = Blueprint("insights", __name__)
SESSION_COOKIE = "blog_search_admin"
SESSION_SECONDS = 8 * 3600
TABLES = ("top_queries", "no_results", "withheld", "per_day")
MAX_DAYS = 3650


def _sign(purpose: str, value: str) -> str:
    key = hashlib.sha256(("blog-search admin session\n" + current_app.config["ADMIN_TOKEN"]).encode()).digest()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _session_valid() -> bool:
    if not current_app.config["ADMIN_TOKEN"]:
        return False
    expiry, _, signature = request.cookies.get(SESSION_COOKIE, "").partition(".")
    if not expiry.isdigit() or int(expiry) < time.time():
        return False
    return hmac.compare_digest(signature, _sign("session", expiry))


def _authorised() -> None:
    """The session cookie, or else the Bearer token (require_token's checks, failures counted)."""
    if not _session_valid():
        require_token()


def _days() -> int:
    raw = request.args.get("days", "30")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise ApiError(400, "bad_days", f"days is a whole number from 1 to {MAX_DAYS}, not {raw[:20]!r}")
    return int(raw)


def _report(days: int) -> dict[str, Any]:
    config = current_app.config
    return report(analytics_path(config), days, config["ANALYTICS_MIN_COUNT"])


@insights.get("/admin/analytics")
def analytics_json() -> ResponseReturnValue:
    _authorised()
    return jsonify({"analytics": current_app.config["ANALYTICS"], **_report(_days())})


@insights.get("/admin/analytics.csv")
def analytics_csv() -> ResponseReturnValue:
    _authorised()
    table = request.args.get("table", "top_queries")
    if table not in TABLES:
        raise ApiError(400, "bad_table", f"table is one of {', '.join(TABLES)}")
    rows = _report(_days())[table]
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["day", "searches"] if table == "per_day" else ["query", "count"]
    writer.writerow(columns)
    for row in rows:
        # A cell starting with = + - @ would be a formula in a spreadsheet: a reader's query must stay text.
        writer.writerow([_cell(row[name]) for name in columns])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{table}.csv"'
    return response


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@insights.get("/admin/")
def admin_page() -> ResponseReturnValue:
    if not current_app.config["ADMIN_TOKEN"]:
        return render_template("admin.html", state="disabled"), 403
    if not _session_valid():
        return render_template("admin.html", state="login", error=None)
    try:
        days = _days()
    except ApiError as exc:
        return render_template("admin.html", state="login", error=exc.message), 400
    data = _report(days)
    return render_template(
        "admin.html",
        state="report",
        data=data,
        days=days,
        chart=chart(data["per_day"], days),
        csrf=_sign("csrf", request.cookies.get(SESSION_COOKIE, "")),
        enabled=current_app.config["ANALYTICS"],
    )


@insights.post("/admin/login")
def login() -> ResponseReturnValue:
    if not current_app.config["ADMIN_TOKEN"]:
        return render_template("admin.html", state="disabled"), 403
    failures, client = current_app.extensions["admin_failures"], client_key()
    wait = failures.take(client, spend=False)
    if wait > 0:
        message = f"Too many wrong tokens from your address; try again in {math.ceil(wait)} seconds."
        return render_template("admin.html", state="login", error=message), 429, retry_after(wait)
    given = request.form.get("token", "")
    if not hmac.compare_digest(given.encode(), str(current_app.config["ADMIN_TOKEN"]).encode()):
        failures.take(client)
        return render_template("admin.html", state="login", error="That is not the admin token."), 401
    expiry = str(int(time.time()) + SESSION_SECONDS)
    response = redirect(url_for("insights.admin_page"), code=303)
    response.set_cookie(
        SESSION_COOKIE,
        f"{expiry}.{_sign('session', expiry)}",
        max_age=SESSION_SECONDS,
        path="/admin",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
    return response


@insights.post("/admin/logout")
def logout() -> ResponseReturnValue:
    """Needs the form's CSRF token (signed from the session), so another site cannot log an editor out."""
    session = request.cookies.get(SESSION_COOKIE, "")
    if not _session_valid() or not hmac.compare_digest(request.form.get("csrf", ""), _sign("csrf", session)):
        return render_template("admin.html", state="login", error="Log in first."), 403
    response = redirect(url_for("insights.admin_page"), code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin", httponly=True, samesite="Strict")
    return response


@insights.get("/r/<query_id>/<post_id>")
def follow(query_id: str, post_id: str) -> ResponseReturnValue:
    """Count a click on a result, then send the reader to the post: only to the URL the index holds for it."""
    post = served_index().posts.get(post_id)
    target = link(post.url) if post is not None else None
    if target is None:
        return render_template("gone.html"), 404
    log: QueryLog | None = current_app.extensions.get("query_log")
    if log is not None and len(query_id) == 32 and all(c in "0123456789abcdef" for c in query_id):
        log.click(query_id, post_id)
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "no-store"
    return response


def chart(per_day: list[dict[str, Any]], days: int, width: int = 640, height: int = 160) -> dict[str, Any]:
    """Bars for searches per day, one slot for each day of the period (days without a search stay empty), laid out
    here so the page draws them as plain SVG (no script, no inline style)."""
    today = datetime.now(UTC).date()
    counts = {day["day"]: day["searches"] for day in per_day}
    slots = [(today - timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1)]
    peak = max(counts.values(), default=0)
    step = width / len(slots)
    bars = []
    for number, day in enumerate(slots):
        searches = counts.get(day, 0)
        if not searches:
            continue
        tall = max(1.0, (height - 20) * searches / peak)
        bars.append(
            {
                "x": round(number * step + 1, 1),
                "y": round(height - 20 - tall, 1),
                "width": round(max(step - 2, 1), 1),
                "height": round(tall, 1),
                "day": day,
                "searches": searches,
            }
        )
    return {"width": width, "height": height, "bars": bars, "peak": peak, "first": slots[0], "last": slots[-1]}
