"""Issue #14 §1 over the API: a monitored household cannot be identified again; an eliminated or exited
one only with a reason and an explicit confirmation; 录入全国系统 needs a valid, unique 户编号; the
day a step happened is bounded the same way for every client."""
from __future__ import annotations

from sqlalchemy import select

from server.register.assessing import assess_version
from server.register.cases import open_case
from server.register.households import apply_record
from server.register.models import AuditEntry, Household, Member, WorkflowCase
from tests.server.register.world import record


def _household(db_session, status="registered", **changes):  # noqa: ANN001, ANN003, ANN202
    changes.setdefault("survey_date", "2021-03-01")
    applied = apply_record(db_session, record(**changes))
    assess_version(db_session, applied.household, applied.version)
    applied.household.status = status
    db_session.commit()
    return applied.household


def _open(api, user, hid, **extra):  # noqa: ANN001, ANN003, ANN202
    return api.post(f"/households/{hid}/cases", user,
                    json={"kind": "identification", "entry_channel": "cadre_check", **extra})


def _status(db_session, hid):  # noqa: ANN001, ANN202
    db_session.commit()
    db_session.expire_all()
    return db_session.get(Household, hid).status


def test_a_monitored_household_is_never_identified_again(api, db_session, world):  # noqa: ANN001
    household = _household(db_session, "monitored")
    for user in ("collector", "village", "township", "county"):
        response = _open(api, user, household.id, reason="再看看", confirm=True)
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["details"]["reason"] == "status:monitored"
    assert _status(db_session, household.id) == "monitored"
    assert db_session.scalar(select(WorkflowCase).where(WorkflowCase.household_id == household.id)) is None


def test_an_eliminated_household_is_identified_again_only_with_reason_and_confirmation(app, api, db_session, world):  # noqa: ANN001
    app.config["FROZEN_TODAY"] = "2021-03-01"
    household = _household(db_session, "eliminated")
    missing_reason = _open(api, "village", household.id, confirm=True)
    assert missing_reason.status_code == 422 and missing_reason.get_json()["details"]["reason"] == "reason_required"
    not_confirmed = _open(api, "village", household.id, reason="户主突发重病，医疗支出大")
    assert not_confirmed.status_code == 422 and not_confirmed.get_json()["details"]["reason"] == "confirm_required"
    assert _status(db_session, household.id) == "eliminated"

    opened = _open(api, "village", household.id, reason="户主突发重病，医疗支出大", confirm=True)
    assert opened.status_code == 201, opened.get_json()
    assert _status(db_session, household.id) == "identifying"
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.household_id == household.id,
                                                        AuditEntry.action == "case.open")).one()
    assert entry.before == {"status": "eliminated"}
    assert entry.after["reopened_from"] == "eliminated" and entry.after["reason"] == "户主突发重病，医疗支出大"

    # not admitted this time: the household stays as it was (risk eliminated), not "not admitted"
    cid = opened.get_json()["id"]
    for user, name in (("collector", "visit_direct"), ("collector", "authorize")):
        assert api.post(f"/cases/{cid}/transitions", user, json={"name": name}).status_code == 200
    rejected = api.post(f"/cases/{cid}/transitions", "township",
                        json={"name": "reject", "data": {"reason": "医疗费用已由大病保险报销"}})
    assert rejected.status_code == 200, rejected.get_json()
    assert _status(db_session, household.id) == "eliminated"


def test_exited_and_not_admitted_households(api, db_session, world):  # noqa: ANN001
    exited = _household(db_session, "exited")
    assert _open(api, "township", exited.id).status_code == 422
    assert _open(api, "township", exited.id, reason="因灾房屋倒塌", confirm=True).status_code == 201
    refused_before = _household(db_session, "not_admitted", head_id_number="150121198003150033", instance_id="uuid:2")
    assert _open(api, "township", refused_before.id).status_code == 201     # a new application is a new case


def _at_entry(app, db_session, status="identifying", **changes):  # noqa: ANN001, ANN003, ANN202
    app.config["FROZEN_TODAY"] = "2021-03-20"
    household = _household(db_session, "registered", **changes)
    with app.app_context():
        case = open_case(db_session, household, "identification", entry_channel="cadre_check")
    case.state = "county_notice"
    case.context = {**case.context, "notice_started_on": "2021-03-01"}
    db_session.commit()
    return household, case.id


def _enter(api, cid, number=None, user="township"):  # noqa: ANN001, ANN202
    data = {} if number is None else {"household_no": number}
    return api.post(f"/cases/{cid}/transitions", user, json={"name": "enter_system", "data": data})


def test_enter_system_needs_a_valid_unique_household_number(app, api, db_session, world):  # noqa: ANN001
    household, cid = _at_entry(app, db_session)
    for number, code in ((None, "field_required:household_no"), ("", "field_required:household_no"),
                         ("   ", "field_required:household_no"), ("12", "field_invalid:household_no"),
                         ("ABCDEFG", "field_invalid:household_no"), ("15012 11002", "field_invalid:household_no"),
                         ("1" * 33, "field_invalid:household_no"), ("1501<script>", "field_invalid:household_no")):
        response = _enter(api, cid, number)
        assert response.status_code == 409, (number, response.get_json())
        assert {r["code"] for r in response.get_json()["details"]["reasons"]} == {code}, number
    assert _status(db_session, household.id) == "identifying"

    other = _household(db_session, "monitored", head_id_number="150121198003150033", instance_id="uuid:2")
    other.household_no = "1501211002010007"
    db_session.commit()
    taken = _enter(api, cid, "1501211002010007")
    assert taken.status_code == 409
    assert {r["code"] for r in taken.get_json()["details"]["reasons"]} == {"household_no_taken"}

    done = _enter(api, cid, " 1501211002010008 ")
    assert done.status_code == 200, done.get_json()
    db_session.expire_all()
    assert (db_session.get(Household, household.id).household_no, _status(db_session, household.id)) == \
        ("1501211002010008", "monitored")


def test_the_day_a_step_happened_is_bounded(app, api, db_session, world):  # noqa: ANN001
    app.config["FROZEN_TODAY"] = "2021-03-20"
    household = _household(db_session)
    cid = _open(api, "collector", household.id).get_json()["id"]
    for on, code in (("2021-03-21", "date_future"), ("2021-02-17", "date_too_old")):
        response = api.post(f"/cases/{cid}/transitions", "collector", json={"name": "visit_direct", "on": on})
        assert response.status_code == 422 and response.get_json()["details"]["reason"] == code, response.get_json()
    ok = api.post(f"/cases/{cid}/transitions", "collector", json={"name": "visit_direct", "on": "2021-03-10"})
    assert ok.status_code == 200 and ok.get_json()["steps"][-1]["on"] == "2021-03-10"
    earlier = api.post(f"/cases/{cid}/transitions", "collector", json={"name": "authorize", "on": "2021-03-09"})
    assert earlier.status_code == 422 and earlier.get_json()["details"]["reason"] == "date_before_previous"


def test_api_household_search_is_the_consoles(api, db_session, world):  # noqa: ANN001
    """GET /households?q= reads the text as the console does (register.search), within the caller's scope."""
    household = _household(db_session, phone="13912345678")
    spouse = db_session.scalars(select(Member.id_number).where(Member.household_id == household.id,
                                                               Member.relation == "spouse")).one()
    for text in (spouse, spouse[-6:], spouse[-4:], "13912345678", "小花", "大山"):
        body = api.get(f"/households?q={text}", "township").get_json()
        assert [h["id"] for h in body["items"]] == [household.id], text
    assert api.get(f"/households?q={spouse[-6:]}", "township_other").get_json()["items"] == []
