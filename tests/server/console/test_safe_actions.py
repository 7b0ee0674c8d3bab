"""Issue #14 §1 in the console: no click corrupts the register. A monitored household is not offered
(and the server refuses) a new identification; an eliminated one only through a separate, confirmed,
reasoned form; negative steps stand apart and need a reason and a ticked confirmation (no JavaScript
needed); 录入全国系统 needs a valid 户编号; the day a step was done offline can be recorded."""
from __future__ import annotations

from sqlalchemy import select

from server.register.cases import open_case
from server.register.models import Household, WorkflowCase, WorkflowStep


def _fresh(db_session, model, ident):  # noqa: ANN001, ANN202
    db_session.commit()
    db_session.expire_all()
    return db_session.get(model, ident)


def _messages(page):  # noqa: ANN001, ANN202
    return " ".join(p.text_content() for p in page.xpath("//p[contains(@class, 'flash')]"))


OPEN_FORM = "//form[input[@name='kind'][@value='identification']]"


def test_monitored_household_offers_no_identification_and_the_server_refuses(app, as_user, households, db_session):  # noqa: ANN001
    h = households.add(head="王大山")
    h.status, h.household_no = "monitored", "1501211002010001"
    db_session.commit()
    url = f"/console/households/{h.id}"
    for role in ("collector", "village", "township", "county"):
        b = as_user(role)
        page = b.page(url)
        assert not page.xpath(OPEN_FORM), role
        if role != "collector":
            assert "不能重新启动识别程序" in page.text_content()
        b.post(url + "/cases", {"kind": "identification", "entry_channel": "cadre_check"})
        assert "不能重新启动识别程序" in _messages(b.page(url))
    assert _fresh(db_session, Household, h.id).status == "monitored"
    assert db_session.scalar(select(WorkflowCase).where(WorkflowCase.household_id == h.id)) is None


def test_eliminated_household_reidentified_only_deliberately(as_user, households, db_session):  # noqa: ANN001
    h = households.add(head="王大山")
    h.status = "eliminated"
    db_session.commit()
    url = f"/console/households/{h.id}"
    township = as_user("township")
    page = township.page(url)
    forms = page.xpath(OPEN_FORM)
    assert len(forms) == 1 and forms[0].get("data-open") == "reidentification"
    assert forms[0].xpath("ancestor::details[contains(@class, 'negative')]")
    assert forms[0].xpath(".//textarea[@name='reason']/@required")
    assert forms[0].xpath(".//input[@type='checkbox'][@name='confirm']/@required")
    township.post(url + "/cases", {"kind": "identification", "entry_channel": "cadre_check"})
    assert "须填写原因" in _messages(township.page(url))
    township.post(url + "/cases", {"kind": "identification", "entry_channel": "cadre_check", "reason": "突发重病"})
    assert "须确认" in _messages(township.page(url))
    assert _fresh(db_session, Household, h.id).status == "eliminated"
    township.post(url + "/cases", {"kind": "identification", "entry_channel": "cadre_check", "reason": "突发重病",
                                   "confirm": "1"})
    assert _fresh(db_session, Household, h.id).status == "identifying"
    assert "突发重病" in township.page(url).xpath("//section[@id='audit']")[0].text_content()


def test_negative_steps_stand_apart_and_need_confirmation(app, as_user, households, db_session):  # noqa: ANN001
    h = households.add(head="王大山")
    db_session.commit()
    with app.app_context():
        case = open_case(db_session, h, "identification", entry_channel="cadre_check")
    case.state = "village_notice"
    db_session.commit()
    url = f"/console/households/{h.id}"
    township = as_user("township")
    page = township.page(url)
    negative = page.xpath("//details[contains(@class, 'negative')]//form[contains(@class, 'negative')]")
    assert sorted(f.get("data-step") for f in negative) == ["reject", "return"]
    for form in negative:
        assert form.xpath(".//textarea[@name='reason']/@required")
        assert form.xpath(".//input[@type='checkbox'][@name='confirm']/@required")
        assert form.xpath(".//button[contains(@class, 'danger')]")
    forward = page.xpath("//div[@class='options']/form[not(contains(@class, 'negative'))]/@data-step")
    assert "reject" not in forward and "return" not in forward
    township.post(f"{url}/cases/{case.id}/steps", {"name": "reject", "reason": "家庭收入高于标准"})
    assert _fresh(db_session, WorkflowCase, case.id).state == "village_notice"
    assert "须勾选确认" in _messages(township.page(url))
    township.post(f"{url}/cases/{case.id}/steps", {"name": "reject", "reason": "家庭收入高于标准", "confirm": "1"})
    assert _fresh(db_session, WorkflowCase, case.id).state == "rejected"
    assert _fresh(db_session, Household, h.id).status == "not_admitted"


def test_enter_system_form_requires_a_valid_household_number(app, as_user, households, db_session):  # noqa: ANN001
    app.config["FROZEN_TODAY"] = "2026-03-20"
    h = households.add(head="王大山")
    db_session.commit()
    with app.app_context():
        case = open_case(db_session, h, "identification", entry_channel="cadre_check")
    case.state = "county_notice"
    case.context = {**case.context, "notice_started_on": "2026-03-01"}
    db_session.commit()
    url = f"/console/households/{h.id}"
    township = as_user("township")
    form = township.page(url).xpath("//form[@data-step='enter_system']")[0]
    field = form.xpath(".//input[@name='household_no']")[0]
    assert field.get("required") is not None and field.get("pattern")
    township.post(f"{url}/cases/{case.id}/steps", {"name": "enter_system"})
    assert "须填写户编号" in _messages(township.page(url))
    township.post(f"{url}/cases/{case.id}/steps", {"name": "enter_system", "household_no": "abc"})
    assert "户编号格式不正确" in _messages(township.page(url))
    assert _fresh(db_session, Household, h.id).status == "identifying"
    township.post(f"{url}/cases/{case.id}/steps", {"name": "enter_system", "household_no": "1501211002010009"})
    found = _fresh(db_session, Household, h.id)
    assert (found.status, found.household_no) == ("monitored", "1501211002010009")


def test_console_records_the_real_date_of_an_offline_step(app, as_user, households, db_session):  # noqa: ANN001
    app.config["FROZEN_TODAY"] = "2026-03-20"
    h = households.add(head="王大山")
    db_session.commit()
    url = f"/console/households/{h.id}"
    collector = as_user("collector")
    collector.post(url + "/cases", {"kind": "identification", "entry_channel": "cadre_check"})
    case = db_session.scalar(select(WorkflowCase).where(WorkflowCase.household_id == h.id))
    date_field = collector.page(url).xpath("//form[@data-step='visit_direct']//input[@name='on']")[0]
    assert (date_field.get("max"), date_field.get("min"), date_field.get("value")) == \
        ("2026-03-20", "2026-02-18", "2026-03-20")
    for bad, message in (("2026-03-21", "不能晚于今天"), ("2026-01-01", "最多可补记30天前"), ("2026-02-30", "办理日期无效")):
        collector.post(f"{url}/cases/{case.id}/steps", {"name": "visit_direct", "on": bad})
        assert message in _messages(collector.page(url)), bad
    collector.post(f"{url}/cases/{case.id}/steps", {"name": "visit_direct", "on": "2026-03-12"})
    db_session.commit()
    steps = db_session.scalars(select(WorkflowStep).where(WorkflowStep.case_id == case.id)).all()
    assert [(s.transition, s.on.isoformat()) for s in steps] == [("visit_direct", "2026-03-12")]
    collector.post(f"{url}/cases/{case.id}/steps", {"name": "authorize", "on": "2026-03-11"})
    assert "不能早于上一步骤" in _messages(collector.page(url))
