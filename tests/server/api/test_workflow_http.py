"""One household driven through identification (Inner Mongolia 8 steps) and risk elimination entirely
over HTTP, by users of each role; plus rejection with a reason on the notice list."""
import pytest

from server.jobs import run_pending
from server.register.assessing import assess_version
from server.register.households import apply_record
from tests.server.register.world import HEAD_ID, record


def on(app, day):
    app.config["FROZEN_TODAY"] = day


def step(api, user, case_id, name, data=None, expect=200):
    response = api.post(f"/cases/{case_id}/transitions", user, json={"name": name, "data": data or {}})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def reasons(body):
    return {r["code"] for r in body["details"]["reasons"]}


def _register(db_session, **changes):
    applied = apply_record(db_session, record(**changes))
    assess_version(db_session, applied.household, applied.version)
    db_session.commit()
    return applied.household


def test_identification_and_elimination_over_http(app, api, db_session, world):
    on(app, "2021-03-01")
    household = _register(db_session, survey_date="2021-03-01")
    hid = household.id
    detail = api.get(f"/households/{hid}", "township").get_json()
    assert detail["category"] == "marginal" and detail["status"] == "registered"

    # 1. a cadre's check opens identification and skips the application
    body = api.post(f"/households/{hid}/cases", "collector",
                    json={"kind": "identification", "entry_channel": "cadre_check"})
    assert body.status_code == 201
    case = body.get_json()
    cid = case["id"]
    assert case["procedure"] == "identification_im8"
    allowed = {o["name"] for o in case["options"] if o["allowed"]}
    assert allowed == {"visit_direct"}
    step(api, "collector", cid, "visit_direct", {"note": "入户核实"})
    step(api, "collector", cid, "authorize")
    on(app, "2021-03-02")
    refused = step(api, "collector", cid, "publish_village_notice", expect=409)
    assert reasons(refused) == {"role"}
    step(api, "village", cid, "publish_village_notice", {"meeting_note": "村民代表大会表决通过"})

    # 2. the township must wait for the 5-day notice
    on(app, "2021-03-04")
    refused = step(api, "township", cid, "township_verify", expect=409)
    assert reasons(refused) == {"notice_elapsed"}
    assert any("公示期" in r["zh"] for r in refused["details"]["reasons"])
    on(app, "2021-03-08")
    step(api, "township", cid, "township_verify")

    # 3. department data comparison: a vehicle registered to the head blocks until the county decides
    refused = step(api, "county", cid, "compare_data", expect=409)
    assert reasons(refused) == {"comparison_clear"}
    upload = api.post("/comparison/imports", "county", data={
        "source": "vehicles", "file": (__import__("io").BytesIO(
            f"号牌号码,车辆类型,身份证号码,登记日期\n蒙A12345,小型轿车,{HEAD_ID},2020-05-01\n".encode()), "cars.csv")},
        content_type="multipart/form-data")
    assert upload.status_code == 202, upload.get_json()
    job_id = upload.get_json()["job"]["id"]
    assert run_pending(app) == 1
    job = api.get(f"/jobs/{job_id}", "county").get_json()
    assert job["state"] == "done" and job["result"]["matched"] == 1
    warnings = api.get(f"/households/{hid}/warnings", "county").get_json()["items"]
    assert [(w["exclusion"], w["detail"]["plate"], w["status"]) for w in warnings] == [("vehicle", "蒙A12345", "open")]
    assert reasons(step(api, "county", cid, "compare_data", expect=409)) == {"comparison_clear"}
    decision = api.post(f"/comparison/warnings/{warnings[0]['id']}/decision", "county",
                        json={"status": "overridden", "reason": "车辆登记在名下但已转卖，实际不拥有"})
    assert decision.status_code == 200
    step(api, "county", cid, "compare_data")

    # 4. county approval opens the second notice; entry waits for it
    step(api, "county", cid, "county_approve")
    on(app, "2021-03-12")
    assert reasons(step(api, "township", cid, "enter_system", expect=409)) == {"notice_elapsed", "field_required:household_no"}
    on(app, "2021-03-15")
    case = step(api, "township", cid, "enter_system", {"household_no": "1501211002010001"})
    assert case["state"] == "entered" and not case["open"]
    assert {d["code"]: d["met_on"] for d in case["deadlines"]}["identification_total"] == "2021-03-15"
    detail = api.get(f"/households/{hid}", "county").get_json()
    assert (detail["status"], detail["identified_on"], detail["household_no"]) == \
        ("monitored", "2021-03-15", "1501211002010001")

    # 5. risk elimination: not in the month of identification, and only when scoring agrees
    cases = api.get(f"/households/{hid}/cases", "collector").get_json()["items"]
    elim = next(c for c in cases if c["kind"] == "elimination")
    on(app, "2021-03-20")
    refused = step(api, "collector", elim["id"], "check", expect=409)
    assert {"not_identification_month", "elimination_eligible"} <= reasons(refused)

    on(app, "2021-06-10")
    follow_up = record(survey_date="2021-06-10", spending={"education": 0, "medical": 0, "housing": 0, "water": 0,
                                                          "disaster_loss": 0},
                       measures=[{"measure": "employment", "date": "2021-04-01", "amount": None, "note": None}],
                       elimination={"measures_in_place": True, "guarantees_consolidated": True,
                                    "income_stable": True, "spending_resolved": True, "method": "assisted",
                                    "opinion": "稳定"})
    follow_up["income"]["wage"]["migrant_work"] = 24000
    applied = apply_record(db_session, follow_up, entity={"id": detail["entity_id"], "base_version": 1})
    assessment = assess_version(db_session, applied.household, applied.version)
    db_session.commit()
    assert assessment.elimination_eligible is True, assessment.result["elimination"]
    step(api, "collector", elim["id"], "check")
    step(api, "village", elim["id"], "publish_village_notice")
    on(app, "2021-06-16")
    step(api, "township", elim["id"], "township_accept")
    step(api, "county", elim["id"], "county_approve")
    on(app, "2021-06-21")
    refused = step(api, "township", elim["id"], "mark", expect=409)
    assert reasons(refused) == {"field_required:method"}
    case = step(api, "township", elim["id"], "mark", {"method": "assisted"})
    assert case["state"] == "eliminated"
    detail = api.get(f"/households/{hid}", "village").get_json()
    assert (detail["status"], detail["eliminated_on"]) == ("eliminated", "2021-06-21")

    # 6. the audit log tells who did what, per household
    entries = api.get(f"/households/{hid}/audit?per_page=500", "county").get_json()["items"]
    transitions = [(e["actor"], e["after"]["transition"]) for e in entries if e["action"] == "case.transition"]
    assert transitions[:3] == [("collector", "visit_direct"), ("collector", "authorize"),
                               ("village", "publish_village_notice")]
    assert ("township", "mark") in transitions
    decisions = [e for e in entries if e["action"] == "warning.decision"]
    assert decisions[0]["actor"] == "county" and decisions[0]["after"]["status"] == "overridden"
    assert decisions[0]["before"] == {"status": "open", "reason": None}


def test_rejection_keeps_reason_and_household_is_told(app, api, db_session, world):
    on(app, "2021-03-01")
    household = _register(db_session, survey_date="2021-03-01")
    cid = api.post(f"/households/{household.id}/cases", "village",
                   json={"kind": "identification", "entry_channel": "self_declaration"}).get_json()["id"]
    step(api, "village", cid, "apply")
    step(api, "collector", cid, "visit")
    assert reasons(step(api, "village", cid, "reject", {}, expect=409)) == {"field_required:reason"}
    case = step(api, "village", cid, "reject", {"reason": "家庭成员在县城有商品房，经村民代表大会评议不予纳入"})
    assert case["state"] == "rejected" and case["reason"].startswith("家庭成员")
    notices = api.get("/notices", "township").get_json()["items"]
    row = next(n for n in notices if n["household_id"] == household.id)
    assert row["state_zh"] == "不予纳入" and row["reason"].startswith("家庭成员")
    assert "head_id_number" not in row and "phone" not in row
    detail = api.get(f"/households/{household.id}", "collector").get_json()
    assert detail["status"] == "not_admitted" and detail["status_reason"].startswith("家庭成员")


def test_overdue_self_declaration_check_is_listed(app, api, db_session, world):
    on(app, "2021-03-01")
    household = _register(db_session, survey_date="2021-03-01")
    cid = api.post(f"/households/{household.id}/cases", "village",
                   json={"kind": "identification", "entry_channel": "self_declaration"}).get_json()["id"]
    step(api, "village", cid, "apply")
    on(app, "2021-03-08")
    assert api.get("/deadlines/overdue", "township").get_json()["items"] == []
    on(app, "2021-03-09")     # 5 working days after Monday 1 March is Monday 8 March
    items = api.get("/deadlines/overdue", "township").get_json()["items"]
    assert {(d["code"], d["due_on"]) for d in items} == {("self_declaration_check", "2021-03-08")}
    assert api.get("/deadlines/overdue", "township_other").get_json()["items"] == []


def test_backdating_is_limited(app, api, db_session, world):
    on(app, "2021-03-20")
    household = _register(db_session, survey_date="2021-03-01")
    cid = api.post(f"/households/{household.id}/cases", "village",
                   json={"kind": "identification", "entry_channel": "self_declaration"}).get_json()["id"]
    too_old = api.post(f"/cases/{cid}/transitions", "village", json={"name": "apply", "on": "2021-01-01"})
    assert too_old.status_code == 422
    future = api.post(f"/cases/{cid}/transitions", "village", json={"name": "apply", "on": "2021-03-21"})
    assert future.status_code == 422
    ok = api.post(f"/cases/{cid}/transitions", "village", json={"name": "apply", "on": "2021-03-15"})
    assert ok.status_code == 200 and ok.get_json()["steps"][0]["on"] == "2021-03-15"


def test_objection_blocks_the_notice_until_cleared(app, api, db_session, world):
    on(app, "2021-03-01")
    household = _register(db_session, survey_date="2021-03-01")
    cid = api.post(f"/households/{household.id}/cases", "collector",
                   json={"kind": "identification", "entry_channel": "social_supervision"}).get_json()["id"]
    step(api, "collector", cid, "visit_direct")
    step(api, "collector", cid, "authorize")
    step(api, "village", cid, "publish_village_notice")
    raised = api.post(f"/cases/{cid}/objection", "village", json={"raised": True, "note": "村民反映家中有货车"})
    assert raised.status_code == 200
    on(app, "2021-03-08")
    assert reasons(step(api, "township", cid, "township_verify", expect=409)) == {"no_objection"}
    assert api.post(f"/cases/{cid}/objection", "collector", json={"raised": False, "note": "x"}).status_code == 403
    api.post(f"/cases/{cid}/objection", "township", json={"raised": False, "note": "核实：货车已于2020年报废"})
    step(api, "township", cid, "township_verify")
    audit = api.get(f"/households/{household.id}/audit?per_page=100", "township").get_json()["items"]
    objections = [(e["actor"], e["after"]["objection"]) for e in audit if e["action"] == "case.objection"]
    assert objections == [("village", True), ("township", False)]


def test_gradual_exit_over_http(app, api, db_session, world):
    on(app, "2021-01-29")
    household = _register(db_session, survey_date="2021-01-10")
    refused = api.post(f"/households/{household.id}/cases", "county", json={"kind": "gradual_exit"})
    assert refused.status_code == 409 and refused.get_json()["details"]["reason"] == "status:registered"
    household.status = "monitored"                  # a gradual exit is for monitored households only
    db_session.commit()
    assert api.post(f"/households/{household.id}/cases", "village",
                    json={"kind": "gradual_exit"}).status_code == 403
    case = api.post(f"/households/{household.id}/cases", "county", json={"kind": "gradual_exit"}).get_json()
    assert reasons(step(api, "county", case["id"], "start_taper", {"taper_months": 13}, expect=409)) == \
        {"field_invalid:taper_months"}
    step(api, "county", case["id"], "start_taper", {"taper_months": 6})
    on(app, "2021-02-28")
    body = api.get(f"/cases/{case['id']}", "township").get_json()
    exit_option = next(o for o in body["options"] if o["name"] == "complete_exit")
    assert not exit_option["allowed"] and exit_option["blocked_by"][0]["code"] == "taper_elapsed"
    app.config["FROZEN_TODAY"] = "2021-07-29"
    body = api.get(f"/cases/{case['id']}", "township").get_json()
    assert next(o for o in body["options"] if o["name"] == "complete_exit")["allowed"]
