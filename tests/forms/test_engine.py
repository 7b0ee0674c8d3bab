"""Generated forms in a real XForm engine (ODK Web Forms, @getodk/xforms-engine under Node/jsdom):
load, fill a realistic household, check calculations and constraints, parse the engine's instance.
"""
from __future__ import annotations

import pytest

import forms
from forms.xpath import id_check_digit

from tests.forms.household import (HEAD_ID, M, NET, PER_CAPITA, R, SON_ID, WIFE_ID, household_steps, location_steps,
                       member_steps, resident_id)

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def built(policy):
    return {b.form_id: b for b in forms.build_all(policy)}


@pytest.fixture(scope="module")
def survey_run(engine, built):
    b = built["household_survey"]
    steps = household_steps() + [{"op": "read", "ref": f"{R}/income/income_totals/per_capita_net"},
                                 {"op": "read", "ref": f"{R}/income/income_totals/net_income"},
                                 {"op": "read", "ref": f"{R}/income/income_totals/below_floor"},
                                 {"op": "read", "ref": f"{M}[3]/age"},
                                 {"op": "read", "ref": f"{M}[3]/sex"},
                                 {"op": "read", "ref": f"{M}[3]/birth_date"}]
    return engine.run(b.xml_bytes, steps, b.media)


def _read(out, ref):
    return next(r for r in out["reads"] if r["ref"] == ref)


def test_every_form_loads_in_the_engine(engine, built):
    empty_list = {forms.HOUSEHOLDS_CSV: forms.households_csv([])}
    for form_id, b in built.items():
        out = engine.run(b.xml_bytes, [], {**b.media, **empty_list})
        assert out["loaded"], form_id
        assert f'id="{form_id}"' in out["instance"]
        assert f'version="{b.version}"' in out["instance"]


def test_realistic_household_is_complete_and_valid(survey_run):
    assert survey_run["violations"] == []
    assert survey_run["status"] == "ready"
    assert sorted(survey_run["files"]) == ["authorization.jpg", "receipt-1.jpg", "signature.png"]


def test_engine_computes_per_capita_income_and_compares_with_floor(survey_run):
    assert float(_read(survey_run, f"{R}/income/income_totals/net_income")["value"]) == NET
    assert float(_read(survey_run, f"{R}/income/income_totals/per_capita_net")["value"]) == PER_CAPITA
    # 9500 ≥ floor 8000: the below-floor warning stays hidden
    assert _read(survey_run, f"{R}/income/income_totals/below_floor")["relevant"] is False


def test_birth_date_sex_and_age_are_derived_from_the_id(survey_run):
    assert _read(survey_run, f"{M}[3]/birth_date")["value"] == "2012-05-09"
    assert _read(survey_run, f"{M}[3]/sex")["value"] == "male"
    assert int(_read(survey_run, f"{M}[3]/age")["value"]) >= 14


def test_parsed_instance_gives_the_household_record(survey_run, built):
    parsed = forms.parse_submission(survey_run["instance"].encode("utf-8"))
    rec = parsed.record
    assert parsed.form_id == "household_survey" and parsed.form_version == built["household_survey"].version
    assert parsed.instance_id.startswith("uuid:") and rec["instance_id"] == parsed.instance_id
    assert rec["region_code"] == "150121100201" and rec["head_id_number"] == HEAD_ID
    assert rec["people_count"] == 4 and len(rec["members"]) == 4
    wife = rec["members"][1]
    assert (wife["sex"], wife["birth_date"], wife["id_number"]) == ("female", "1970-08-20", WIFE_ID)
    assert wife["health"] == ["chronic"] and wife["public_job_type"] == "village"
    assert rec["members"][2]["school_status"] == "grade8" and rec["members"][2]["education"] is None
    assert rec["members"][3]["health"] == ["chronic", "disabled"]
    assert rec["income"]["wage"]["migrant_work"] == 24000
    assert rec["income"]["business_costs"]["planting"] == 5000
    assert rec["spending"]["medical"] == 6500 and rec["evidence_photos"] == ["receipt-1.jpg"]
    assert rec["guarantees"]["water"]["convenience"] is False and rec["guarantees"]["water_unsafe"] is True
    assert rec["risks"] == [{"code": "illness", "disaster": None, "note": None},
                            {"code": "natural_disaster", "disaster": "drought", "note": None},
                            {"code": "other", "disaster": None, "note": "主要劳力受伤"}]
    assert rec["exclusions"]["vehicle"] is True and rec["exclusions"]["company"] is False
    assert rec["gps"]["lat"] == pytest.approx(40.68)
    assert rec["authorization_photo"] == "authorization.jpg" and rec["signature"] == "signature.png"
    assert set(parsed.attachments) == {"authorization.jpg", "receipt-1.jpg", "signature.png"}
    ent = parsed.entity
    assert ent["dataset"] == "households" and ent["create"] and not ent["update"]
    assert ent["label"] == "王建国（东村）" and rec["entity_id"] == ent["id"]
    assert list(ent["properties"]) == list(forms.ENTITY_PROPERTIES)
    assert ent["properties"]["region_code"] == "150121100201"


def _violations(out):
    return {v["ref"]: v["condition"] for v in out["violations"]}


def test_wrong_id_check_digit_is_refused(engine, built):
    b = built["household_survey"]
    good = HEAD_ID
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    out = engine.run(b.xml_bytes, [{"op": "set", "ref": f"{R}/head/head_id_number", "value": wrong},
                                   {"op": "read", "ref": f"{R}/head/head_id_number"},
                                   {"op": "set", "ref": f"{R}/head/head_id_number", "value": good},
                                   {"op": "read", "ref": f"{R}/head/head_id_number"}], b.media)
    assert out["reads"][0]["violation"]["condition"] == "constraint"
    assert "校验" in out["reads"][0]["violation"]["message"]
    assert out["reads"][1]["violation"] is None


@pytest.mark.parametrize("first17", ["11010519491231002", "44030419900307123", "51010720000229456"])
def test_engine_agrees_with_python_check_digit(engine, built, first17):
    b = built["household_survey"]
    ref = f"{R}/head/head_id_number"
    right = first17 + id_check_digit(first17)
    wrong = first17 + ("X" if right[-1] != "X" else "0")
    out = engine.run(b.xml_bytes, [{"op": "set", "ref": ref, "value": right}, {"op": "read", "ref": ref},
                                   {"op": "set", "ref": ref, "value": wrong}, {"op": "read", "ref": ref}],
                     b.media)
    assert out["reads"][0]["violation"] is None
    assert out["reads"][1]["violation"] is not None


def test_on_phone_checks(engine, built):
    b = built["household_survey"]
    child = resident_id("150121", "20230601", "021")  # about 3 years old
    steps = location_steps() + [
        {"op": "set", "ref": f"{R}/head/phone", "value": "1390471123"},           # 10 digits
        {"op": "set", "ref": f"{R}/income/income_wage/wage_picking", "value": "-5"},
        *member_steps(1, health="healthy chronic"),
        *member_steps(2, name="王小宝", relation="head", id_type="resident_id", id_number=child,
                      in_school="no", education="primary"),
        {"op": "read", "ref": f"{M}[2]/labour_entered"}, {"op": "read", "ref": f"{M}[2]/labour_skill"},
    ]
    out = engine.run(b.xml_bytes, steps, b.media)
    got = _violations(out)
    assert got[f"{R}/head/phone"] == "constraint"
    assert got[f"{R}/income/income_wage/wage_picking"] == "constraint"
    assert got[f"{M}[1]/health"] == "constraint"                      # healthy + chronic
    assert got[f"{M}[2]/relation_entered"] == "constraint"            # the head is member 1
    assert got[f"{M}[2]/education_or_school"] == "constraint"         # under 6 must be pre-school
    # under 16 the labour ability is not asked: the record says 无劳动力
    assert out["reads"][0]["relevant"] is False and out["reads"][1]["value"] == "none"


def test_member_1_is_the_head_and_the_household_size_is_counted(engine, built):
    b = built["household_survey"]
    steps = [{"op": "set", "ref": f"{R}/head/head_name", "value": "王建国"},
             {"op": "set", "ref": f"{R}/head/head_id_number", "value": HEAD_ID[:17] + HEAD_ID[17].lower()},
             *member_steps(2, name="李秀兰", relation="spouse", id_type="resident_id", id_number=WIFE_ID),
             *member_steps(3, name="王小明", relation="son", id_type="resident_id", id_number=SON_ID,
                           coresident="no"),
             *({"op": "read", "ref": f"{M}[1]/{k}"} for k in ("name", "relation", "id_number", "name_entered")),
             {"op": "read", "ref": f"{R}/head/people_count"}, {"op": "read", "ref": f"{M}[2]/relation"}]
    reads = engine.run(b.xml_bytes, steps, b.media)["reads"]
    assert [r["value"] for r in reads[:3]] == ["王建国", "head", HEAD_ID]   # a typed lowercase x is stored as X
    assert reads[3]["relevant"] is False                                    # not asked again
    assert reads[4]["value"] == "2" and reads[5]["value"] == "spouse"


def test_id_note_names_the_rule_that_failed(engine, built):
    b = built["household_survey"]
    ref = f"{R}/head/head_id_number"
    cases = [HEAD_ID[:17], HEAD_ID[:6] + "19681345" + HEAD_ID[14:], HEAD_ID[:17] + ("0" if HEAD_ID[17] != "0" else "1")]
    steps = [s for value in cases for s in ({"op": "set", "ref": ref, "value": value}, {"op": "read", "ref": ref},
                                            {"op": "read", "ref": f"{R}/head/head_id_problem"},
                                            {"op": "read", "ref": f"{R}/head/head_id_problem_note"})]
    reads = engine.run(b.xml_bytes, steps, b.media)["reads"]
    for i, word in enumerate(("位数", "出生日期", "校验位")):
        field, problem, shown = reads[3 * i: 3 * i + 3]
        assert field["violation"]["condition"] == "constraint" and "位数 / 出生日期 / 校验位" in field["violation"]["message"]
        assert word in problem["value"] and shown["relevant"] is True, (word, problem)


def test_education_or_school_status_exactly_one(engine, built):
    b = built["household_survey"]
    steps = member_steps(2, id_type="resident_id", id_number=SON_ID, school_status="grade8") + [
        {"op": "read", "ref": f"{M}[2]/education"}, {"op": "read", "ref": f"{M}[2]/school_status"},
        {"op": "read", "ref": f"{M}[2]/dropout_reason"},
        *member_steps(2, education="primary"),
        {"op": "read", "ref": f"{M}[2]/education"}, {"op": "read", "ref": f"{M}[2]/school_status"},
        {"op": "read", "ref": f"{M}[2]/dropout_reason"}]
    reads = engine.run(b.xml_bytes, steps, b.media)["reads"]
    assert [r["value"] for r in reads[:2]] == ["", "grade8"] and reads[2]["relevant"] is False
    assert [r["value"] for r in reads[3:5]] == ["primary", ""] and reads[5]["relevant"] is True  # 14, out of school


def test_follow_up_prefills_from_the_entity_and_updates_it(engine, built, survey_run):
    registered = forms.parse_submission(survey_run["instance"].encode("utf-8"))
    ent = registered.entity
    households = forms.households_csv([(ent["id"], ent["label"], 2, ent["properties"])])
    b = built["followup_visit"]
    wage = f"{R}/income/income_wage/wage_migrant_work"
    steps = location_steps() + [
        {"op": "set", "ref": f"{R}/location/household", "value": ent["id"]},
        {"op": "read", "ref": wage}, {"op": "read", "ref": f"{R}/head/people_count"},
        {"op": "read", "ref": f"{R}/risk/risks"}, {"op": "read", "ref": f"{R}/income/income_totals/per_capita_net"},
        {"op": "set", "ref": wage, "value": "12000"},                      # lost half the work
        {"op": "set", "ref": f"{R}/assistance_block/received_assistance", "value": "yes"},
        {"op": "set", "ref": f"{R}/assistance_block/assistance[1]/measure", "value": "public_job"},
        {"op": "set", "ref": f"{R}/assistance_block/assistance[1]/measure_date", "value": "2026-10-08"},
        {"op": "set", "ref": f"{R}/assistance_block/assistance[1]/measure_amount", "value": "800"},
        {"op": "set", "ref": f"{R}/assistance_block/visit_note", "value": "务工收入减少"},
        {"op": "set", "ref": f"{R}/signoff/collector_name", "value": "刘文"},
        {"op": "read", "ref": f"{R}/income/income_totals/per_capita_net"},
        {"op": "read", "ref": f"{R}/income/income_totals/below_floor"},
    ]
    out = engine.run(b.xml_bytes, steps, {**b.media, forms.HOUSEHOLDS_CSV: households})
    reads = {(i, r["ref"]): r for i, r in enumerate(out["reads"])}
    assert float(out["reads"][0]["value"]) == 24000
    assert out["reads"][1]["value"] == "4"
    assert out["reads"][2]["value"] == "illness natural_disaster other"
    assert float(out["reads"][3]["value"]) == PER_CAPITA
    assert float(out["reads"][4]["value"]) == (NET - 12000) / 4       # 6500 < 8000
    assert out["reads"][5]["relevant"] is True
    assert out["violations"] == [] and out["status"] == "ready", reads
    parsed = forms.parse_submission(out["instance"].encode("utf-8"))
    assert parsed.form_id == "followup_visit"
    assert parsed.entity["update"] and not parsed.entity["create"]
    assert parsed.entity["id"] == ent["id"] and parsed.entity["base_version"] == "2"
    assert parsed.entity["properties"]["wage_migrant_work"].startswith("12000")
    rec = parsed.record
    assert rec["entity_id"] == ent["id"] and rec["income"]["wage"]["migrant_work"] == 12000
    assert rec["income"]["wage"]["public_job"] == 6000                   # kept from the entity
    assert rec["measures"] == [{"measure": "public_job", "date": "2026-10-08", "amount": 800, "note": None}]
    assert rec["visit_note"] == "务工收入减少"
    assert rec["risks"][1] == {"code": "natural_disaster", "disaster": "drought", "note": None}  # pre-filled
    assert "members" not in rec


def test_follow_up_lists_only_the_chosen_villages_households(engine, built):
    props = {"region_code": "150121100202"}
    households = forms.households_csv([("7d1f1e1e-0000-4000-8000-000000000001", "李四（西村）", 1, props)])
    b = built["followup_visit"]
    out = engine.run(b.xml_bytes, location_steps("150121100201") + [
        {"op": "set", "ref": f"{R}/location/household", "value": "7d1f1e1e-0000-4000-8000-000000000001"},
        {"op": "read", "ref": f"{R}/location/household"}], {**b.media, forms.HOUSEHOLDS_CSV: households})
    assert out["reads"][0]["value"] == ""   # not an option in 东村


def test_elimination_check(engine, built):
    b = built["elimination_check"]
    props = {p: 0 for p in forms.ENTITY_PROPERTIES}
    props.update(region_code="150121100201", people_count=4, wage_migrant_work=40000, risks="illness")
    households = forms.households_csv([("7d1f1e1e-0000-4000-8000-000000000002", "王建国（东村）", 5, props)])
    steps = location_steps() + [
        {"op": "set", "ref": f"{R}/location/household", "value": "7d1f1e1e-0000-4000-8000-000000000002"},
        {"op": "read", "ref": f"{R}/income/income_totals/per_capita_net"},
        *({"op": "set", "ref": f"{R}/elimination/elim_{k}", "value": "yes"}
          for k in ("measures_in_place", "guarantees_consolidated", "income_stable")),
        {"op": "set", "ref": f"{R}/elimination/elim_spending_resolved", "value": "no"},
        {"op": "file", "ref": f"{R}/elimination/elim_income_stable_photo", "name": "wage-slip.jpg"},
        {"op": "read", "ref": f"{R}/elimination/elim_warning"},
        {"op": "set", "ref": f"{R}/elimination/elimination_method", "value": "assisted"},
        {"op": "set", "ref": f"{R}/elimination/elimination_opinion", "value": "收入稳定，同意消除"},
        {"op": "set", "ref": f"{R}/signoff/collector_name", "value": "刘文"},
    ]
    out = engine.run(b.xml_bytes, steps, {**b.media, forms.HOUSEHOLDS_CSV: households})
    assert float(out["reads"][0]["value"]) == 10000
    assert out["reads"][1]["relevant"] is True   # one criterion not met: warning shown
    assert out["status"] == "ready", out["violations"]
    parsed = forms.parse_submission(out["instance"].encode())
    assert parsed.entity is None
    rec = parsed.record
    assert rec["entity_id"] == "7d1f1e1e-0000-4000-8000-000000000002"
    assert rec["elimination"] == {"measures_in_place": True, "guarantees_consolidated": True,
                                  "income_stable": True, "spending_resolved": False,
                                  "method": "assisted", "opinion": "收入稳定，同意消除"}
    assert rec["evidence_photos"] == ["wage-slip.jpg"]
    assert rec["income"]["wage"]["migrant_work"] == 40000


def test_self_declaration_needs_consent(engine, built):
    b = built["self_declaration"]
    steps = location_steps() + [
        {"op": "set", "ref": f"{R}/head/head_name", "value": "赵六"},
        {"op": "set", "ref": f"{R}/head/head_id_number", "value": HEAD_ID},
        {"op": "set", "ref": f"{R}/head/phone", "value": "13800001111"},
        {"op": "set", "ref": f"{R}/head/people_count", "value": "3"},
        {"op": "set", "ref": f"{R}/risk/risks", "value": "accident"},
        {"op": "set", "ref": f"{R}/declaration/decl_description", "value": "丈夫摔伤住院"},
        {"op": "set", "ref": f"{R}/declaration/decl_consent", "value": "no"},
        {"op": "read", "ref": f"{R}/declaration/decl_consent"},
        {"op": "set", "ref": f"{R}/declaration/decl_consent", "value": "yes"},
    ]
    out = engine.run(b.xml_bytes, steps, b.media)
    assert out["reads"][0]["violation"]["condition"] == "constraint"
    assert out["status"] == "ready", out["violations"]
    rec = forms.parse_submission(out["instance"].encode()).record
    assert rec["self_declaration"] == {"consent": True, "description": "丈夫摔伤住院"}
    assert rec["risks"] == [{"code": "accident", "disaster": None, "note": None}]
    assert rec["people_count"] == 3 and rec["phone"] == "13800001111"


def test_proxy_authorization(engine, built):
    b = built["authorization"]
    proxy_id = resident_id("150121", "19900101", "057")
    steps = location_steps() + [
        {"op": "set", "ref": f"{R}/head/head_name", "value": "张桂英"},
        {"op": "set", "ref": f"{R}/head/head_id_number", "value": HEAD_ID},
        {"op": "set", "ref": f"{R}/proxy/proxy_reason", "value": "户主不识字"},
        {"op": "set", "ref": f"{R}/proxy/proxy_name", "value": "王建国"},
        {"op": "set", "ref": f"{R}/proxy/proxy_relation", "value": "son"},
        {"op": "set", "ref": f"{R}/proxy/proxy_id_number", "value": proxy_id},
        {"op": "file", "ref": f"{R}/proxy/thumbprint_photo", "name": "thumb.jpg"},
        {"op": "file", "ref": f"{R}/signoff/authorization_photo", "name": "letter.jpg"},
        {"op": "file", "ref": f"{R}/signoff/signature", "name": "proxy-sign.png"},
        {"op": "set", "ref": f"{R}/signoff/collector_name", "value": "刘文"},
    ]
    out = engine.run(b.xml_bytes, steps, b.media)
    assert out["status"] == "ready", out["violations"]
    parsed = forms.parse_submission(out["instance"].encode())
    assert parsed.record["authorization"] == {"reason": "户主不识字", "proxy_name": "王建国",
                                              "proxy_relation": "son", "proxy_id_number": proxy_id,
                                              "thumbprint_photo": "thumb.jpg"}
    assert set(parsed.attachments) == {"thumb.jpg", "letter.jpg", "proxy-sign.png"}


def test_required_photo_of_signed_letter(engine, built):
    b = built["household_survey"]
    steps = [s for s in household_steps() if not s["ref"].endswith("authorization_photo")]
    out = engine.run(b.xml_bytes, steps, b.media)
    assert out["status"] == "pending"
    assert {v["ref"] for v in out["payloadViolations"]} == {f"{R}/signoff/authorization_photo"}


def test_guarantees_are_computed_from_the_members(engine, built):
    b = built["household_survey"]
    dropout = resident_id("150121", "20150301", "012")   # 11 years old
    g = f"{R}/guarantees"
    steps = member_steps(2, id_type="resident_id", id_number=dropout, education="primary",
                         dropout_reason="economic", resident_medical_insurance="no",
                         employee_medical_insurance="no") + [
        {"op": "set", "ref": f"{g}/water_problems", "value": "none"},
        *({"op": "read", "ref": f"{g}/{k}"} for k in ("school_dropout", "school_dropout_reason", "medical_uninsured",
                                                       "house_grade", "housing_unsafe", "water_unsafe")),
        {"op": "set", "ref": f"{g}/water_problems", "value": "housing quality"},
        *({"op": "read", "ref": f"{g}/{k}"} for k in ("house_grade", "housing_unsafe", "water_unsafe")),
    ]
    reads = engine.run(b.xml_bytes, steps, b.media)["reads"]
    assert [r["value"] for r in reads[:3]] == ["yes", "economic", "yes"]
    assert reads[3]["relevant"] is False and reads[4]["value"] == "no" and reads[5]["value"] == "no"
    assert reads[6]["relevant"] is True and reads[7]["value"] == "yes" and reads[8]["value"] == "yes"
