"""Issue #14 §1 in a real browser, at desktop and phone width: a monitored household offers no new
identification; a refusal (不予纳入) is in its own red section and the browser will not send it until
a reason is written and the confirmation ticked; 录入全国系统 refuses an empty 户编号 in the browser
and a malformed one on the server; the register keeps its numbers."""
from __future__ import annotations

import pytest

from server.register.cases import open_case
from server.register.models import Household, WorkflowCase
from tests.browser.kit import DESKTOP, PHONE, chromium, live_url, screenshot_dir, tabs  # noqa: F401
from tests.server.register.world import PASSWORD


def _fresh(db_session, model, ident):  # noqa: ANN001, ANN202
    db_session.commit()
    db_session.expire_all()
    return db_session.get(model, ident)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_register_is_safe_from_clicks(app, tabs, households, db_session, viewport):  # noqa: ANN001, F811
    app.config["FROZEN_TODAY"] = "2026-03-20"
    monitored = households.add(head="王大山")
    monitored.status, monitored.household_no = "monitored", "1501211002010001"
    candidate = households.add(head="李二")
    entering = households.add(head="张三")
    db_session.commit()
    with app.app_context():
        case = open_case(db_session, candidate, "identification", entry_channel="cadre_check")
        entry = open_case(db_session, entering, "identification", entry_channel="cadre_check")
    case.state = "village_notice"
    entry.state = "county_notice"
    entry.context = {**entry.context, "notice_started_on": "2026-03-01"}
    db_session.commit()

    tab = tabs(viewport, "township")
    tab.login("township", PASSWORD)
    page = tab.visit(f"/console/households/{monitored.id}", "monitored-household")
    assert page.locator("form[data-open]").count() == 0
    assert page.get_by_text("不能重新启动识别程序").count() == 1

    # a refusal: apart, red, and the browser asks for the reason and the ticked confirmation first
    page = tab.visit(f"/console/households/{candidate.id}")
    details = page.locator("details.negative")
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    form = page.locator("form[data-step='reject']")
    assert "danger" in form.locator("button[type=submit]").get_attribute("class")
    form.locator("button[type=submit]").click()
    assert form.locator("textarea[name=reason]").evaluate("e => !e.validity.valid")
    form.locator("textarea[name=reason]").fill("家庭人均纯收入高于监测标准")
    form.locator("button[type=submit]").click()
    assert form.locator("input[name=confirm]").evaluate("e => !e.validity.valid")
    assert _fresh(db_session, WorkflowCase, case.id).state == "village_notice"      # nothing was sent
    tab.check("refusal-form")
    form.locator("input[name=confirm]").check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    tab.check("refused")
    assert "已办理：不予纳入并告知原因" in page.locator("p.flash").inner_text()
    assert _fresh(db_session, Household, candidate.id).status == "not_admitted"

    # 录入全国系统: empty is stopped by the browser, a malformed number by the server
    page = tab.visit(f"/console/households/{entering.id}")
    form = page.locator("form[data-step='enter_system']")
    form.locator("button[type=submit]").click()
    assert form.locator("input[name=household_no]").evaluate("e => e.validity.valueMissing")
    form.locator("input[name=household_no]").evaluate("e => e.removeAttribute('pattern')")  # an old browser
    form.locator("input[name=household_no]").fill("ABC-DEF")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "户编号格式不正确" in tab.check("entry-refused").locator("p.flash").inner_text()
    assert _fresh(db_session, Household, entering.id).status == "identifying"
    page.locator("form[data-step='enter_system'] input[name=household_no]").fill("1501211002010002")
    page.locator("form[data-step='enter_system'] button[type=submit]").click()
    page.wait_for_load_state("load")
    tab.check("entered")
    found = _fresh(db_session, Household, entering.id)
    assert (found.status, found.household_no) == ("monitored", "1501211002010002")
