"""Smoke test in a real browser (Chromium through Playwright): log in, open the dashboard and a
household, save screenshots. Runs only when /usr/bin/chromium and the playwright package exist;
otherwise it is skipped with a loud reason. Screenshots go to $SHOUDI_SCREENSHOT_DIR (or tmp)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _why_not() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"SKIPPED LOUDLY: no browser at {CHROMIUM} (apt-get install -y chromium to run this smoke test)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "SKIPPED LOUDLY: the Python package 'playwright' is not installed (pip install playwright)"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


@pytest.fixture
def live_url(app):  # noqa: ANN001, ANN201
    """The test app served over HTTP in a thread (same database as the fixtures)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_login_open_household_and_screenshot(live_url, households, db_session, tmp_path):  # noqa: ANN001
    from playwright.sync_api import sync_playwright

    household = households.add(head="王大山")
    households.add(region="150121100202", head="赵二", spending={"education": 0, "medical": 0, "housing": 0,
                                                                 "water": 0, "disaster_loss": 0})
    db_session.commit()
    out = Path(os.environ.get("SHOUDI_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    requested: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requested.append(r.url))
            page.goto(live_url + "/console/households")
            assert "/console/login" in page.url                     # redirected to the login form
            page.fill("input[name=username]", "township")
            page.fill("input[name=password]", "Passw0rd!x")
            page.click("button[type=submit]")
            page.wait_for_url("**/console/households")
            page.goto(live_url + "/console/dashboard")
            assert page.locator("svg.chart").count() == 2
            page.screenshot(path=str(out / "console-dashboard.png"), full_page=True)
            page.goto(f"{live_url}/console/households/{household.id}")
            assert page.locator("h1").inner_text() == "王大山"
            assert page.locator("figure.score svg").count() == 2
            page.wait_for_function("() => { const i = document.querySelector('.photos img');"
                                   " return !!i && i.complete && i.naturalWidth > 0 }", timeout=10_000)
            page.screenshot(path=str(out / "console-household.png"), full_page=True)
            page.goto(f"{live_url}/console/households/{household.id}?lang=en")
            assert "Members" in page.content()
            page.screenshot(path=str(out / "console-household-en.png"), full_page=True)
            page.goto(live_url + "/console/jobs")
            page.screenshot(path=str(out / "console-jobs.png"), full_page=True)
        finally:
            browser.close()
    assert (out / "console-household.png").stat().st_size > 10_000
    assert all(url.startswith(live_url) for url in requested), [u for u in requested if not u.startswith(live_url)]
