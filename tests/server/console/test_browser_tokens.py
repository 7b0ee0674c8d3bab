"""Browser journey of issue #14 §6 for an admin, at 1366×900 and 390×844: issue a collector's device
token and see its ODK Collect QR code, revoke it (reason + confirmation), disable and re-enable the
collector, and a user form that keeps what was typed after an error. Every page is checked by
tests/browser/kit.py (no console errors, failed or external requests, no horizontal overflow on the
phone) and for English words in the Chinese interface; screenshots go under <pytest basetemp>/screenshots/."""
from __future__ import annotations

import pytest

from server.models import AppToken, User
from tests.browser.kit import DESKTOP, PHONE, chromium, live_url, screenshot_dir, tabs  # noqa: F401
from tests.server.register.world import PASSWORD

VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


@VIEWPORTS
def test_admin_issues_and_revokes_a_device_token(tabs, households, db_session, world, viewport):  # noqa: ANN001, F811
    collector = next(u for u in world.users.values() if u.role == "collector")
    for user in db_session.query(User):
        user.display_name = {"admin": "系统管理员"}.get(user.role, "采集员")
    db_session.commit()
    tab = tabs(viewport, "admin-tokens")
    tab.login("admin", PASSWORD)
    page = tab.visit("/console/tokens", "tokens")
    assert tab.english() == []
    page.select_option("select[name=user_id]", str(collector.id))
    page.fill("input[name=label]", "红米手机")
    page.click("form.grid-form button[type=submit]")
    page = tab.check("token-issued")
    qr = page.locator("img.qr-code")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")          # a real PNG, drawn
    assert "二维码只显示这一次" in page.locator("section.qr").inner_text()
    assert tab.english() == []
    db_session.rollback()
    token = db_session.query(AppToken).filter_by(user_id=collector.id, label="红米手机").one()

    page = tab.visit("/console/tokens")
    row = page.locator("table.data tbody tr", has_text="红米手机")
    row.locator("details.negative summary").click()
    row.locator("input[name=reason]").fill("手机丢失")
    row.locator("input[name=confirm]").check()
    row.locator("button.danger").click()
    page = tab.check("token-revoked")
    assert "已撤销" in page.locator("p.flash.ok").inner_text()
    db_session.rollback()
    assert db_session.get(AppToken, token.id).revoked_at is not None

    page = tab.visit("/console/users")
    row = page.locator(f"table.data tbody tr:has(form[action='/console/users/{collector.id}/disable'])")
    row.locator("details.negative summary").click()
    row.locator("input[name=reason]").fill("调离")
    row.locator("input[name=confirm]").check()
    row.locator("button.danger").click()
    page = tab.check()
    page.locator(f"form[action='/console/users/{collector.id}/enable'] button").click()
    page = tab.check("user-re-enabled")
    assert "已重新启用" in page.locator("p.flash.ok").inner_text()

    page.fill("form.grid-form input[name=username]", "wang.wu")
    page.fill("form.grid-form input[name=display_name]", "王五")
    page.select_option("form.grid-form select[name=region_pick]", "150121100000")
    page.fill("form.grid-form input[name=password]", "short1")
    page.locator("form.grid-form input[name=password]").evaluate("i => i.removeAttribute('minlength')")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("form.grid-form button[type=submit]")
    assert answer.value.status == 422
    page.wait_for_load_state("load")           # the browser has reported the 422 by now
    tab.problems = [p for p in tab.problems if "422" not in p]        # the expected refusal (HTTP 422)
    page = tab.check("user-form-error")
    assert page.locator("form.grid-form input[name=username]").input_value() == "wang.wu"
    assert page.locator("form.grid-form input[name=display_name]").input_value() == "王五"
    assert page.locator("form.grid-form select[name=region_pick]").input_value() == "150121100000"
    assert page.locator("form.grid-form input[name=password]").input_value() == ""
