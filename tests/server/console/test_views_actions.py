"""The household page's actions through the forms: open identification, steps by the roles the
procedure names (allowed as buttons, blocked ones with their reasons), refusals shown with every
reason, objections, department warning decisions (county, reason required), conflict flags."""
from __future__ import annotations

from server.register.models import AuditEntry, ComparisonBatch, ComparisonWarning, WorkflowCase


def _case(db_session, household):  # noqa: ANN001, ANN202
    db_session.commit()               # end the read snapshot: see what the requests wrote
    db_session.expire_all()
    return db_session.query(WorkflowCase).filter_by(household_id=household.id).one()


def _messages(page):  # noqa: ANN001, ANN202
    return [p.text_content() for p in page.xpath("//p[contains(@class, 'flash')]")]


def test_identification_walkthrough_with_allowed_and_blocked_steps(as_user, households, db_session):
    h = households.add(head="王大山")
    db_session.commit()
    township, collector, village = as_user("township"), as_user("collector"), as_user("village")
    url = f"/console/households/{h.id}"

    response = township.post(url + "/cases", {"kind": "identification", "entry_channel": "cadre_check"})
    assert response.status_code == 302
    case = _case(db_session, h)
    assert (case.procedure, case.state, case.entry_channel) == ("identification_im8", "new", "cadre_check")

    page = township.page(url)
    assert not page.xpath("//form[contains(@action, '/steps')]//input[@name='name']")   # nothing for township yet
    blocked = page.xpath("//ul[@class='blocked']/li")
    visit = next(li for li in blocked if "入户核实" in li.xpath("button")[0].text)
    assert visit.xpath("button/@disabled")
    assert [r.get("data-reason") for r in visit.xpath(".//li")] == ["role"]

    page = collector.page(url)
    names = page.xpath("//form[contains(@action, '/steps')]//input[@name='name']/@value")
    assert "visit_direct" in names
    collector.post(f"{url}/cases/{case.id}/steps", {"name": "visit_direct", "note": "入户核实"})
    assert _case(db_session, h).state == "visited"
    collector.post(f"{url}/cases/{case.id}/steps", {"name": "authorize"})
    assert _case(db_session, h).state == "authorized"
    village.post(f"{url}/cases/{case.id}/steps", {"name": "publish_village_notice", "meeting_note": "村民代表会"})
    assert _case(db_session, h).state == "village_notice"

    page = township.page(url)
    verify = next(li for li in page.xpath("//ul[@class='blocked']/li")
                  if li.xpath("button")[0].text == "乡镇逐户审核")
    assert "notice_elapsed" in [r.get("data-reason") for r in verify.xpath(".//li")]
    assert "公示期未满" in verify.text_content()
    # the step cannot be forced by posting it
    township.post(f"{url}/cases/{case.id}/steps", {"name": "township_verify"})
    assert _case(db_session, h).state == "village_notice"
    message = _messages(township.page(url))
    assert message and "不能办理此步骤" in message[0] and "公示期未满" in message[0]

    steps = [e.after["transition"] for e in db_session.query(AuditEntry).filter_by(action="case.transition")
             .order_by(AuditEntry.id)]
    assert steps == ["visit_direct", "authorize", "publish_village_notice"]


def test_return_needs_a_reason_and_keeps_it(as_user, households, db_session):
    h = households.add(head="王大山")
    db_session.commit()
    collector, village, township = as_user("collector"), as_user("village"), as_user("township")
    url = f"/console/households/{h.id}"
    collector.post(url + "/cases", {"kind": "identification", "entry_channel": "cadre_check"})
    case = _case(db_session, h)
    for user, name in ((collector, "visit_direct"), (collector, "authorize"), (village, "publish_village_notice")):
        user.post(f"{url}/cases/{case.id}/steps", {"name": name})
    page = township.page(url)
    form = next(f for f in page.xpath("//form[contains(@action, '/steps')]")
                if f.xpath("input[@name='name']/@value") == ["return"])
    assert form.xpath(".//textarea[@name='reason']/@required")
    township.post(f"{url}/cases/{case.id}/steps", {"name": "return"})
    assert _case(db_session, h).state == "village_notice"
    assert "填写原因" in _messages(township.page(url))[0]
    township.post(f"{url}/cases/{case.id}/steps", {"name": "return", "reason": "收入数据需复核"})   # not confirmed
    assert _case(db_session, h).state == "village_notice"
    assert "须勾选确认" in _messages(township.page(url))[0]
    township.post(f"{url}/cases/{case.id}/steps", {"name": "return", "reason": "收入数据需复核", "confirm": "1"})
    case = _case(db_session, h)
    assert case.state == "visited" and case.reason == "收入数据需复核"
    assert "收入数据需复核" in township.page(url).text_content()


def test_objection_during_the_notice(as_user, households, db_session):
    h = households.add(head="王大山")
    db_session.commit()
    collector, village = as_user("collector"), as_user("village")
    url = f"/console/households/{h.id}"
    collector.post(url + "/cases", {"kind": "identification", "entry_channel": "cadre_check"})
    case = _case(db_session, h)
    for name in ("visit_direct", "authorize"):
        collector.post(f"{url}/cases/{case.id}/steps", {"name": name})
    village.post(f"{url}/cases/{case.id}/steps", {"name": "publish_village_notice"})
    village.post(f"{url}/cases/{case.id}/objection", {"raised": "1", "note": "群众反映有车辆"})
    assert _case(db_session, h).context["objection"] is True
    assert "公示期内有异议" in as_user("township").page(url).text_content()
    assert collector.post(f"{url}/cases/{case.id}/objection", {"raised": "0", "note": "x"}).status_code == 403


def test_opening_twice_is_explained_not_crashing(as_user, households, db_session):
    h = households.add(head="王大山")
    db_session.commit()
    b = as_user("township")
    url = f"/console/households/{h.id}/cases"
    b.post(url, {"kind": "identification", "entry_channel": "cadre_check"})
    response = b.post(url, {"kind": "identification", "entry_channel": "cadre_check"})
    assert response.status_code == 302
    assert db_session.query(WorkflowCase).filter_by(household_id=h.id).count() == 1
    assert b.post(url, {"kind": "identification", "entry_channel": "made_up"}).status_code == 400
    assert as_user("collector").post(url, {"kind": "gradual_exit"}).status_code == 403


def _warning(db_session, household):  # noqa: ANN001, ANN202
    batch = ComparisonBatch(source="vehicles", region_code="150121000000", filename="cars.csv",
                            blob_sha256="0" * 64, state="done")
    db_session.add(batch)
    db_session.flush()
    warning = ComparisonWarning(batch_id=batch.id, household_id=household.id, source="vehicles",
                                exclusion="vehicle", record_date="2024-05-01", row_number=2,
                                detail={"号牌号码": "蒙A12345", "车辆类型": "小型轿车"})
    db_session.add(warning)
    db_session.commit()
    return warning


def test_county_confirms_or_overrides_warnings_with_a_reason(as_user, households, db_session):
    h = households.add(head="王大山")
    warning = _warning(db_session, h)
    url = f"/console/households/{h.id}"
    township = as_user("township").page(url)
    assert "蒙A12345" in township.xpath("//section[@id='warnings']")[0].text_content()
    assert not township.xpath("//section[@id='warnings']//form")
    county = as_user("county")
    assert county.page(url).xpath("//section[@id='warnings']//form")
    county.post(f"{url}/warnings/{warning.id}", {"status": "overridden", "reason": ""})
    db_session.commit()               # end the read snapshot: see what the requests wrote
    db_session.expire_all()
    assert db_session.get(ComparisonWarning, warning.id).status == "open"
    county.post(f"{url}/warnings/{warning.id}", {"status": "overridden", "reason": "车辆为营运用途，已核实"})
    db_session.commit()               # end the read snapshot: see what the requests wrote
    db_session.expire_all()
    decided = db_session.get(ComparisonWarning, warning.id)
    assert (decided.status, decided.reason) == ("overridden", "车辆为营运用途，已核实")
    assert db_session.query(AuditEntry).filter_by(action="warning.decision").count() == 1
    assert "已说明理由保留" in county.page(url).xpath("//section[@id='warnings']")[0].text_content()
    assert as_user("township").post(f"{url}/warnings/{warning.id}",
                                    {"status": "confirmed", "reason": "x"}).status_code == 403


def test_warning_of_another_household_is_not_decided_through_this_page(as_user, households, db_session):
    h = households.add(head="王大山")
    other = households.add(region="150121100202", head="李四")
    warning = _warning(db_session, other)
    response = as_user("county").post(f"/console/households/{h.id}/warnings/{warning.id}",
                                      {"status": "confirmed", "reason": "x"})
    assert response.status_code == 404


def test_conflict_flag_is_cleared_by_a_reviewer(as_user, households, db_session):
    h = households.add(head="王大山")
    h.conflict = "hard"
    db_session.commit()
    url = f"/console/households/{h.id}"
    assert not as_user("village").page(url).xpath("//form[contains(@action, '/conflict')]")
    b = as_user("township")
    assert b.page(url).xpath("//form[contains(@action, '/conflict')]")
    b.post(url + "/conflict")
    db_session.commit()               # end the read snapshot: see what the requests wrote
    db_session.expire_all()
    assert db_session.get(type(h), h.id).conflict is None
    entry = db_session.query(AuditEntry).filter_by(action="household.conflict").one()
    assert entry.before == {"conflict": "hard"}


def test_gradual_exit_is_offered_to_reviewers_of_monitored_households(as_user, households, db_session):
    h = households.add(head="王大山")
    h.status = "monitored"
    db_session.commit()
    url = f"/console/households/{h.id}"
    exit_form = "//form[input[@name='kind'][@value='gradual_exit']]"
    assert not as_user("village").page(url).xpath(exit_form)
    b = as_user("county")
    assert b.page(url).xpath(exit_form)
    b.post(url + "/cases", {"kind": "gradual_exit"})
    case = _case(db_session, h)
    assert (case.kind, case.procedure, case.state) == ("gradual_exit", "gradual_exit", "cause_removed")
    assert not b.page(url).xpath(exit_form)
