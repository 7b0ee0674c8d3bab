"""Smoke test in a real browser (the system Chromium through Playwright, see tests/browser/kit.py):
log in, open the dashboard and a household, in Chinese and English, at desktop and phone width. Every
page is checked for console errors, failed or external requests and (on the phone) horizontal overflow."""
from __future__ import annotations

import pytest

from tests.browser.kit import DESKTOP, PHONE, chromium, live_url, screenshot_dir, tabs  # noqa: F401
from tests.server.register.world import PASSWORD


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_login_open_household_and_screenshot(tabs, households, db_session, screenshot_dir, viewport):  # noqa: ANN001, F811
    household = households.add(head="王大山")
    households.add(region="150121100202", head="赵二", spending={"education": 0, "medical": 0, "housing": 0,
                                                                 "water": 0, "disaster_loss": 0})
    db_session.commit()
    tab = tabs(viewport, "township")
    page = tab.page
    page.goto(tab.base + "/console/households")
    assert "/console/login" in page.url                     # redirected to the login form
    tab.login("township", PASSWORD)
    assert page.url.endswith("/console/households")
    tab.visit("/console/households", "households")
    page = tab.visit("/console/dashboard")
    assert page.locator("svg.chart").count() == 2
    tab.check("dashboard")
    page = tab.visit(f"/console/households/{household.id}")
    assert page.locator("h1").inner_text() == "王大山"
    assert page.locator("figure.score svg").count() == 2
    page.locator(".photos img").first.scroll_into_view_if_needed()   # lazy: loads when seen
    page.wait_for_function("() => { const i = document.querySelector('.photos img');"
                           " return !!i && i.complete && i.naturalWidth > 0 }", timeout=10_000)
    tab.check("household")
    page = tab.visit(f"/console/households/{household.id}?lang=en", "household-en")
    assert "Members" in page.content()
    tab.visit("/console/jobs", "jobs")
    shot = screenshot_dir / f"township-household-{viewport[0]}x{viewport[1]}.png"
    assert shot.stat().st_size > 10_000
