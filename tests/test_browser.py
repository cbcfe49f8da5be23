"""The search page in real chromium (Playwright): typing, JavaScript off, hostile posts, the back button."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import ROOT, create_test_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SIDEBAR = {"width": 300, "height": 700}


def browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing; `make test` installs it (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is missing; `make test` installs it (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = browser_missing()
    if reason:
        # CI must exercise the browser; only a developer's machine may go without it.
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def buffered(app: Flask) -> Callable:
    """The app with each response read whole and closed before the server writes it.

    werkzeug's development server skips closing a response when the browser resets the connection while it
    drains the socket, so a static file (a 304 for the favicon, say) stayed open until the garbage collector
    found it, and that ResourceWarning failed whichever test was running (CI, 2026-11-26). Gunicorn, which
    serves the real thing, closes responses itself; this wrapper only keeps the test server tidy.
    """

    def wsgi(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a real HTTP server in a background thread, at a free port."""
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def seed_server(seed_index) -> Iterator[str]:
    with serving(create_test_app(seed_index)) as base:
        yield base


def assert_accessible(page) -> None:
    """axe-core's WCAG checks (labels, roles, contrast, headings) find nothing on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations]


def screenshot(page, name: str) -> None:
    """The first screen a reader sees, and the whole page."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)


def test_typing_a_question_shows_the_right_post(browser, seed_server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=DESKTOP)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(seed_server + "/")
    expect(page.get_by_label("Search the posts, or ask a question")).to_be_focused()
    page.keyboard.type("Who is professor of leadership at Henley?", delay=15)
    first = page.locator(".result").first
    expect(first.locator(".result-title")).to_have_text("In Conversation with David Pendleton")
    card = page.locator(".answer")
    expect(card.locator(".answer-text")).to_have_text(
        "Today I’m talking to David Pendleton, who is Professor of Leadership at Henley Business School."
    )
    expect(card.locator(".answer-source")).to_have_text("From In Conversation with David Pendleton")
    expect(card.locator(".answer-context mark")).to_have_text(
        "Today I’m talking to David Pendleton, who is Professor of Leadership at Henley Business School."
    )
    expect(page.locator("h2.matches")).to_have_count(0)
    expect(first.locator("mark", has_text="Henley")).to_have_count(1)
    expect(page).to_have_url(seed_server + "/?q=Who+is+professor+of+leadership+at+Henley%3F")
    expect(page.locator("#status")).to_have_text("2 posts for “Who is professor of leadership at Henley?”")
    screenshot(page, "search-desktop")
    assert_accessible(page)

    # A question the posts cannot answer: no card, the results under "Best matches" (built by search.js too).
    page.locator("#q").fill("What makes a good leader in the NHS?")
    expect(page.locator("h2.matches")).to_have_text("Best matches")
    expect(page.locator(".answer")).to_have_count(0)
    assert_accessible(page)
    # One about nothing the posts hold: no post matches it at all.
    page.locator("#q").fill("How do I tune a carburettor on a motorbike?")
    expect(page.locator("#status")).to_have_text(
        "No post matches “How do I tune a carburettor on a motorbike?”; try fewer words, another spelling, or a "
        "question in plain words."
    )
    expect(page.locator(".result")).to_have_count(0)
    page.locator("#q").fill("Who is professor of leadership at Henley?")
    expect(page.locator(".answer")).to_have_count(1)

    page.locator("#q").focus()
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator(".result").nth(1)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#q")).to_be_focused()
    # Offline and private: every request the page made went to the app itself.
    assert requested and all(url.startswith(seed_server + "/") for url in requested), requested

    phone = browser.new_page(viewport=PHONE)
    phone.goto(seed_server + "/?q=productivity+in+the+NHS")
    expect(phone.locator(".result .author").first).to_have_text("Dr. Ryan Kemp")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "search-phone")
    # The server's markup as it arrived (axe needs JavaScript, so it cannot run in the no-JavaScript test).
    assert_accessible(phone)
    phone.set_viewport_size(SIDEBAR)
    phone.goto(seed_server + "/embed?q=leaders+in+the+health+service")
    expect(phone.locator(".result")).to_have_count(5)
    assert phone.evaluate("document.documentElement.scrollWidth") <= SIDEBAR["width"]
    screenshot(phone, "embed-sidebar")
    assert_accessible(phone)
    page.close()
    phone.close()


def test_the_page_works_with_javascript_off(browser, seed_server):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(seed_server + "/")
    page.get_by_label("Search the posts, or ask a question").fill("nature and health")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(seed_server + "/?q=nature+and+health")
    expect(page.locator(".result-title").first).to_have_text("Nurturing Nature in the NHS")
    screenshot(page, "no-javascript-phone")
    context.close()


def test_hostile_posts_show_as_text_and_run_nothing(browser, hostile_index):
    from playwright.sync_api import expect

    with serving(create_test_app(hostile_index)) as base:
        page = browser.new_page(viewport=DESKTOP)
        dialogs: list[str] = []
        refused: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
        # Server-rendered first, then the same posts rendered by the script from the JSON API.
        page.goto(base + "/?q=orchard+bees")
        title = page.locator(".result-title").first
        expect(title).to_have_text("<script>window.__pwned = 'title'</script>Orchard bees")
        page.locator("#q").fill("bees pollinate apple blossom")
        expect(page.locator("#status")).to_have_text("1 post for “bees pollinate apple blossom”")
        expect(title).to_have_text("<script>window.__pwned = 'title'</script>Orchard bees")
        expect(page.locator(".result .author").first).to_have_text("<img src=x onerror=\"window.__pwned = 'author'\">")
        assert "<img src=x onerror" in page.locator(".passage").first.inner_text()
        assert page.locator("#output img, #output script, #output a[href^='javascript']").count() == 0
        screenshot(page, "hostile-desktop")
        assert page.evaluate("window.__pwned") is None
        # Nothing was even attempted: the policy had no inline script to refuse.
        assert dialogs == [] and refused == []
        page.close()


def test_back_button_restores_earlier_results(browser, seed_server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=DESKTOP)
    page.goto(seed_server + "/")
    box = page.locator("#q")
    titles = page.locator(".result-title")
    box.fill("nature")
    box.press("Enter")
    expect(titles.first).to_have_text("Nurturing Nature in the NHS")
    box.fill("productivity")
    box.press("Enter")
    expect(titles.first).to_have_text("What even is productivity in healthcare?")
    page.go_back()
    expect(page).to_have_url(seed_server + "/?q=nature")
    expect(box).to_have_value("nature")
    expect(titles.first).to_have_text("Nurturing Nature in the NHS")
    page.go_back()
    expect(box).to_have_value("")
    expect(titles).to_have_count(0)
    page.go_forward()
    expect(titles.first).to_have_text("Nurturing Nature in the NHS")
    page.close()


def test_failed_searches_say_why(browser, seed_server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=DESKTOP)
    page.goto(seed_server + "/")
    status = page.locator("#status")
    page.route("**/api/**", lambda route: route.abort())
    page.locator("#q").fill("nature")
    expect(status).to_have_text(
        "Search failed: the search service could not be reached; check your connection and try again."
    )
    expect(status).to_have_class("status error")
    page.unroute("**/api/**")
    page.route(
        "**/api/**",
        lambda route: route.fulfill(
            status=503, json={"error": {"code": "busy", "message": "too many searches at once; retry in 2 s"}}
        ),
    )
    page.locator("#q").fill("nature walks")
    expect(status).to_have_text("Search failed: too many searches at once; retry in 2 s")
    page.close()


@pytest.fixture(scope="module")
def faceted_server(faceted_index) -> Iterator[str]:
    with serving(create_test_app(faceted_index, ANALYTICS=False)) as base:
        yield base


def _around_results(page) -> dict:
    """What the page shows around its results: the order, pages and facet links, and each post's other passages."""
    return page.evaluate(
        """() => ({
            status: document.getElementById("status").textContent.trim(),
            order: [...document.querySelectorAll(".order a, .order strong")].map((e) => e.textContent),
            pages: [...document.querySelectorAll(".pages a, .pages span")].map((e) => [e.textContent, e.href || ""]),
            facets: [...document.querySelectorAll(".facets h3, .facets a")].map((e) => [e.textContent, e.href || ""]),
            more: [...document.querySelectorAll(".result .more li")].map((e) => e.innerHTML),
        })"""
    )


def test_pages_facets_and_date_order_as_the_server_renders_them_and_search_js_too(browser, faceted_server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport=DESKTOP)
    query = "leaders in the health service"
    page.goto(faceted_server + "/?k=2&tag=BMJ+Leader")
    page.locator("#q").fill(query)
    expect(page.locator(".facets h3")).to_have_count(3)
    expect(page).to_have_url(faceted_server + "/?k=2&tag=BMJ+Leader&q=leaders+in+the+health+service")
    typed = _around_results(page)
    assert_accessible(page)
    page.goto(page.url)  # the same URL, rendered by the server
    expect(page.locator(".facets h3")).to_have_count(3)
    assert _around_results(page) == typed
    assert typed["order"] == ["best match", "newest"] and typed["more"]
    assert any(text.startswith("Roger Kline") for text, _ in typed["facets"])
    screenshot(page, "facets-desktop")
    assert_accessible(page)

    page.get_by_role("link", name="Next page").click()
    expect(page.locator(".pages span")).to_have_text(re.compile(r"Page 2 of \d+"))
    page.get_by_role("link", name="newest").click()
    expect(page.locator(".order strong")).to_have_text("newest")
    expect(page.locator(".pages span")).to_have_text(re.compile(r"Page 1 of \d+"))
    page.get_by_role("link", name=re.compile(r"^Roger Kline")).click()
    expect(page.locator(".facets a[aria-current=true]")).to_have_text([re.compile(r"^Roger Kline"), re.compile("^BMJ")])
    expect(page.locator("#status")).to_have_text(re.compile(r"^\d+ posts? for “leaders in the health service”$"))
    # Typing a new query goes back to page 1 and keeps the filters and the order.
    page.locator("#q").fill("health inequalities")
    expect(page).to_have_url(re.compile(r"sort=date.*author=Roger\+Kline|author=Roger\+Kline.*sort=date"))
    assert "page=" not in page.url
    page.close()


def test_facet_and_page_links_work_with_javascript_off(browser, faceted_server):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(faceted_server + "/?q=leaders+in+the+health+service&k=2")
    status = page.locator("#status")
    total = int(status.inner_text().split()[0])
    page.get_by_role("link", name="Next page").click()
    expect(page.locator(".pages span")).to_have_text(f"Page 2 of {(total + 1) // 2}")
    link = page.locator(".facets a").first
    count = int(re.search(r"\((\d+)\)", link.inner_text()).group(1))
    link.click()
    expect(status).to_have_text(re.compile(rf"^{count} posts? for “leaders in the health service”$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "facets-no-javascript-phone")
    context.close()
