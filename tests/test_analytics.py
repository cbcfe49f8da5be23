"""Search analytics: what the log holds after real requests (and what it never holds), the report's privacy floor,
retention, the buffer under load and with a broken disk, the click redirect, the admin routes' token check, and the
production server with concurrent clients."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.analytics import QueryLog, minute, prune, report
from tests.conftest import ROOT, create_test_app
from tests.test_browser import browser  # noqa: F401  (the Chromium fixture)
from tests.test_reload import free_port, wait_for

TOKEN = "analytics-test-token"
HENLEY = "Who is Professor of Leadership at Henley Business School?"


def app_with_log(seed_index, path: Path, **config):
    return create_test_app(seed_index, ANALYTICS_PATH=str(path), ADMIN_TOKEN=TOKEN, RATE_LIMIT_PER_MINUTE=0, **config)


def rows(path: Path, table: str = "queries") -> list[dict]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(f"SELECT * FROM {table}")]


def test_the_log_holds_each_search_and_nothing_that_identifies_a_reader(seed_index, tmp_path: Path):
    path = tmp_path / "analytics.sqlite3"
    app = app_with_log(seed_index, path)
    client = app.test_client()
    headers = {"User-Agent": "Reader-Browser/9.9", "X-Forwarded-For": "203.0.113.9", "Cookie": "who=reader-42"}
    assert (
        client.get("/api/search", query_string={"q": "  Productivity   in the NHS "}, headers=headers).status_code
        == 200
    )
    answered = client.get("/api/answer", query_string={"q": HENLEY}, headers=headers)
    assert re.fullmatch(r"[0-9a-f]{32}", answered.headers["X-Query-Id"])
    client.get("/", query_string={"q": "nature and health"}, headers=headers)
    client.get("/embed", query_string={"q": "nature and health", "author": "nobody at all"}, headers=headers)
    app.extensions["query_log"].flush()
    logged = rows(path)
    assert [(r["endpoint"], r["query"]) for r in logged] == [
        ("api/search", "productivity in the nhs"),
        ("api/answer", HENLEY.lower()),
        ("page", "nature and health"),
        ("embed", "nature and health"),
    ]
    assert logged[1]["id"] == answered.headers["X-Query-Id"] and logged[1]["answer_shown"] == 1
    assert logged[0]["answer_shown"] is None and logged[3]["results"] == 0 and logged[3]["top_post"] is None
    assert logged[2]["results"] > 0 and json.loads(logged[2]["post_ids"])[0] == logged[2]["top_post"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", r["minute"]) for r in logged)
    everything = path.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("analytics.sqlite3-*"))
    for secret in (b"127.0.0.1", b"203.0.113.9", b"Reader-Browser", b"reader-42"):
        assert secret not in everything


def test_analytics_off_writes_nothing(seed_index, tmp_path: Path):
    path = tmp_path / "analytics.sqlite3"
    client = app_with_log(seed_index, path, ANALYTICS=False).test_client()
    response = client.get("/api/search", query_string={"q": "leadership"})
    assert response.status_code == 200 and "X-Query-Id" not in response.headers
    assert "/r/" not in client.get("/", query_string={"q": "leadership"}).get_data(as_text=True)
    assert not path.exists()


def test_the_report_hides_rare_queries_and_counts_what_found_nothing(hostile_index, tmp_path: Path):
    """On the two-post corpus with a web URL (the bundled posts have none, so their results have no links)."""
    path = tmp_path / "analytics.sqlite3"
    app = app_with_log(hostile_index, path)
    client = app.test_client()
    for _ in range(3):
        client.get("/api/search", query_string={"q": "leadership"})
    for _ in range(2):
        client.get("/api/search", query_string={"q": "zebra", "author": "nobody at all"})
        client.get("/api/answer", query_string={"q": "What is the boiling point of mercury in kelvin?"})
    client.get("/api/search", query_string={"q": "my neighbour jane doe's diagnosis"})
    page = client.get("/", query_string={"q": "leadership"}).get_data(as_text=True)
    page += client.get("/", query_string={"q": "sourdough starter"}).get_data(as_text=True)
    link = re.search(r'href="(/r/[0-9a-f]{32}/plain-1)"', page)
    assert link, "the page's result links go through the click counter"
    assert client.get(link.group(1)).status_code == 302
    app.extensions["query_log"].flush()
    data = client.get("/admin/analytics?days=7", headers={"Authorization": f"Bearer {TOKEN}"}).get_json()
    assert data["searches"] == 10 and data["min_count"] == 2
    assert data["top_queries"][0] == {"query": "leadership", "count": 4}
    assert {"query": "zebra", "count": 2} in data["no_results"]
    assert data["withheld"] == [{"query": "what is the boiling point of mercury in kelvin?", "count": 2}]
    # The one-off query is counted, never shown.
    assert data["hidden_queries"] == 2 and "jane" not in json.dumps(data)
    assert data["clicks"] == 1 and data["click_through_rate"] == round(1 / 10, 4) and data["mean_clicked_rank"] >= 1
    assert data["per_day"] == [{"day": datetime.now(UTC).strftime("%Y-%m-%d"), "searches": 10}]
    csv_text = client.get("/admin/analytics.csv?table=no_results&days=7", headers={"Authorization": f"Bearer {TOKEN}"})
    lines = csv_text.get_data(as_text=True).splitlines()
    assert csv_text.mimetype == "text/csv" and lines[0] == "query,count" and "zebra,2" in lines


def test_old_rows_are_deleted(tmp_path: Path):
    path = tmp_path / "analytics.sqlite3"
    log = QueryLog(path, retention_days=90)
    log.record("api/search", "kept", ["a"], None, 1.0)
    log.click("f" * 32, "a")
    log.flush()
    old = minute(datetime.now(UTC) - timedelta(days=91))
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO queries VALUES ('old', ?, 'page', 'gone', 0, NULL, '[]', NULL, 1.0)", (old,))
        db.execute("INSERT INTO clicks VALUES ('old', 'a', ?)", (old,))
    assert prune(path, 90) == 2
    assert [r["query"] for r in rows(path)] == ["kept"] and len(rows(path, "clicks")) == 1
    assert report(path, 7, 1)["searches"] == 1


def test_a_full_buffer_drops_and_counts_and_a_broken_file_never_fails_a_search(seed_index, tmp_path: Path):
    dropped: list[int] = []
    log = QueryLog(tmp_path / "a.sqlite3", 90, on_dropped=dropped.append, capacity=5)
    for n in range(20):
        log.record("api/search", f"q{n}", [], None, 1.0)
    assert log.counts.dropped == 15 and sum(dropped) == 15
    log.flush()
    assert log.counts.written == 5 and len(rows(tmp_path / "a.sqlite3")) == 5

    # A folder where the file should be: every batch fails; searches do not.
    broken = tmp_path / "not-a-file"
    broken.mkdir()
    app = app_with_log(seed_index, broken)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/search", query_string={"q": "leadership"}).status_code == 200
    app.extensions["query_log"].flush()
    counts = app.extensions["query_log"].counts
    # The background writer may have taken some rows in a batch of its own first: every row is dropped all the same.
    assert counts.written == 0 and counts.dropped == 3 and counts.failed_batches >= 1
    assert b"blog_search_analytics_rows_dropped_total 3.0" in client.get("/metrics").data


def test_the_click_counter_is_never_an_open_redirect(seed_index, tmp_path: Path):
    client = app_with_log(seed_index, tmp_path / "a.sqlite3").test_client()
    qid = "0" * 32
    for path in (f"/r/{qid}/no-such-post", f"/r/{qid}/https:%2F%2Fevil.example", "/r/x/https://evil.example"):
        response = client.get(path)
        assert response.status_code == 404 and "Location" not in response.headers
    # A post without a URL (the bundled corpus has none) has nowhere to send a reader.
    some_post = next(iter(client.application.extensions["served_index"].current().posts))
    assert client.get(f"/r/{qid}/{some_post}").status_code == 404


def test_every_admin_route_needs_the_token(seed_index, tmp_path: Path):
    app = app_with_log(seed_index, tmp_path / "a.sqlite3")
    client = app.test_client()
    admin_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/admin")]
    assert len(admin_rules) >= 8
    for rule in admin_rules:
        path = rule.rule.replace("<post_id>", "some-post")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # A fresh app each time: five wrong tokens from one client would make the rest 429s.
            client = app_with_log(seed_index, tmp_path / "a.sqlite3").test_client()
            response = client.open(path, method=method, headers={"Authorization": "Bearer wrong"}, json={"text": "x"})
            if (path, method) == ("/admin/", "GET"):
                # The page without a session is the login form: no figures.
                assert (
                    response.status_code == 200
                    and b'name="token"' in response.data
                    and b"searches" not in response.data
                )
            elif (path, method) == ("/admin/login", "POST"):
                assert response.status_code == 401
            else:
                assert response.status_code in (401, 403), (path, method, response.status_code)
    # The admin token's failure allowance covers the login form too.
    for _ in range(6):
        client.post("/admin/login", data={"token": "wrong"})
    assert client.post("/admin/login", data={"token": TOKEN}).status_code == 429


def test_logging_in_sets_a_strict_httponly_cookie_that_opens_the_report(seed_index, tmp_path: Path):
    client = app_with_log(seed_index, tmp_path / "a.sqlite3").test_client()
    response = client.post("/admin/login", data={"token": TOKEN})
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert TOKEN not in cookie
    page = client.get("/admin/?days=7").get_data(as_text=True)
    assert "In the last 7 days" in page and '<svg class="chart"' in page
    assert client.get("/admin/analytics").status_code == 200  # the session opens the JSON too
    assert client.post("/admin/logout", data={"csrf": "forged"}).status_code == 403
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    assert client.post("/admin/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/admin/analytics").status_code == 401


def test_the_production_server_accounts_for_every_row_under_concurrent_clients(tmp_path: Path, index_root: Path):
    path = tmp_path / "analytics.sqlite3"
    port = free_port()
    env = {
        **os.environ,
        "BLOG_SEARCH_ANALYTICS_PATH": str(path),
        "BLOG_SEARCH_RATE_LIMIT_PER_MINUTE": "0",
        "HF_HUB_OFFLINE": "1",
    }
    command = [sys.executable, "-m", "service", "--index", str(index_root), "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    clients, each = 8, 25
    failures: list[str] = []

    def ask(number: int) -> None:
        for n in range(each):
            try:
                with urllib.request.urlopen(f"{base}/api/search?q=leadership+{number}+{n}", timeout=30) as response:
                    response.read()
            except urllib.error.HTTPError as exc:
                failures.append(f"{exc!r}: {exc.read()[:300]!r}")
            except OSError as exc:
                failures.append(repr(exc))

    try:
        wait_for(lambda: _ready(base), 120)
        threads = [threading.Thread(target=ask, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures

        def accounted() -> bool:
            metrics = urllib.request.urlopen(f"{base}/metrics", timeout=30).read().decode()
            written = _counter(metrics, "blog_search_analytics_rows_written_total")
            dropped = _counter(metrics, "blog_search_analytics_rows_dropped_total")
            return written + dropped == clients * each

        wait_for(accounted, 30)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert len(rows(path)) == clients * each
    assert len({r["query"] for r in rows(path)}) == clients * each


def _ready(base: str) -> bool:
    try:
        return urllib.request.urlopen(f"{base}/readyz", timeout=5).status == 200
    except OSError:
        return False


def _counter(metrics: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_the_admin_page_works_without_javascript_and_is_accessible(browser, seed_index, tmp_path: Path):  # noqa: F811
    from playwright.sync_api import expect

    from tests.test_browser import assert_accessible, screenshot, serving

    app = app_with_log(seed_index, tmp_path / "a.sqlite3")
    client = app.test_client()
    for query in ("leadership", "leadership", "zebra crossing", "zebra crossing", "nhs productivity"):
        client.get("/api/search", query_string={"q": query, **({"author": "nobody"} if "zebra" in query else {})})
    app.extensions["query_log"].flush()
    with serving(app) as base:
        # Without JavaScript: log in, read the report, log out.
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(base + "/admin/")
        page.get_by_label("Admin token").fill(TOKEN)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="In the last 30 days")).to_be_visible()
        expect(page.get_by_role("table").first.get_by_role("cell", name="leadership")).to_be_visible()
        no_results = page.locator("section", has_text="Queries with no results")
        expect(no_results.get_by_role("cell", name="zebra crossing")).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("Searches per day"))).to_be_visible()
        screenshot(page, "admin-analytics")
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_label("Admin token")).to_be_visible()
        context.close()
        # axe-core runs as a script, so the same pages are checked in a context that allows one.
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + "/admin/")
        assert_accessible(page)
        page.get_by_label("Admin token").fill(TOKEN)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="In the last 30 days")).to_be_visible()
        assert_accessible(page)
        context.close()
