"""Generated forms in JavaRosa, the engine of ODK Collect, filled question by question in form
order (Collect checks each constraint when the cadre leaves the question): the realistic household
goes through without a refusal, calculations match, wrong answers are refused, the serialised
instance parses."""
from __future__ import annotations

import pytest

import forms

from tests.forms.household import HEAD_ID, M, NET, PER_CAPITA, R, household_steps, location_steps

pytestmark = pytest.mark.engine


def _answers(steps):
    return [(s["ref"], s.get("value") if s["op"] == "set" else s["name"])
            for s in steps if s["op"] in ("set", "file")]


@pytest.fixture(scope="module")
def built(policy):
    return {b.form_id: b for b in forms.build_all(policy)}


@pytest.fixture(scope="module")
def survey(javarosa, built):
    b = built["household_survey"]
    return javarosa.run(b.xml_bytes, _answers(household_steps()), b.media)


def test_household_fills_in_collect_order_without_refusal(survey):
    assert survey["violations"] == []
    assert survey["unanswered_required"] == []
    assert survey["validate"] is None


def test_collect_computes_income_and_derived_member_values(survey):
    v = survey["values"]
    assert float(v[f"{R}/income/income_totals/net_income"]) == NET
    assert float(v[f"{R}/income/income_totals/per_capita_net"]) == PER_CAPITA
    assert (v[f"{M}[2]/sex"], v[f"{M}[2]/birth_date"]) == ("female", "1970-08-20")
    assert (v[f"{M}[1]/name"], v[f"{M}[1]/relation"], v[f"{R}/head/people_count"]) == ("王建国", "head", "4")
    assert int(v[f"{M}[4]/age"]) >= 84


def test_collect_instance_parses_into_the_record(survey):
    parsed = forms.parse_submission(survey["instance"].encode("utf-8"))
    rec = parsed.record
    assert parsed.form_id == "household_survey" and parsed.instance_id.startswith("uuid:")
    assert rec["people_count"] == 4 and [m["relation"] for m in rec["members"]] == [
        "head", "spouse", "son", "mother"]
    assert rec["income"]["transfer"]["pension"] == 2400 and rec["spending"]["medical"] == 6500
    assert parsed.entity["create"] and parsed.entity["label"] == "王建国（东村）"
    assert set(parsed.attachments) == {"authorization.jpg", "receipt-1.jpg", "signature.png"}


def test_collect_refuses_wrong_check_digit_and_a_second_head(javarosa, built):
    b = built["household_survey"]
    wrong = HEAD_ID[:17] + ("0" if HEAD_ID[17] != "0" else "1")
    answers = [(r, wrong if r.endswith("head/head_id_number") else v) for r, v in _answers(household_steps())]
    answers = [(r, "head" if r == f"{M}[2]/relation_entered" else v) for r, v in answers]
    out = javarosa.run(b.xml_bytes, answers, b.media)
    refused = {v["ref"]: v["condition"] for v in out["violations"]}
    assert refused[f"{R}/head/head_id_number"] == "constraint"
    assert refused[f"{M}[2]/relation_entered"] == "constraint"
    message = next(v["message"] for v in out["violations"] if v["ref"] == f"{R}/head/head_id_number")
    assert "校验位" in message, message


def test_collect_prefills_follow_up_from_the_entity_list(javarosa, built, survey):
    registered = forms.parse_submission(survey["instance"].encode("utf-8")).entity
    households = forms.households_csv([(registered["id"], registered["label"], 3, registered["properties"])])
    b = built["followup_visit"]
    answers = _answers(location_steps()) + [
        (f"{R}/location/household", registered["id"]),
        (f"{R}/income/income_wage/wage_migrant_work", "12000"),
        (f"{R}/assistance_block/received_assistance", "no"),
        (f"{R}/signoff/collector_name", "刘文")]
    out = javarosa.run(b.xml_bytes, answers, {**b.media, forms.HOUSEHOLDS_CSV: households})
    assert out["violations"] == [] and out["validate"] is None, out["unanswered_required"]
    v = out["values"]
    assert v[f"{R}/head/people_count"] == "4"
    assert float(v[f"{R}/income/income_wage/wage_public_job"]) == 6000
    assert float(v[f"{R}/income/income_totals/per_capita_net"]) == (NET - 12000) / 4
    parsed = forms.parse_submission(out["instance"].encode("utf-8"))
    assert parsed.entity["update"] and parsed.entity["base_version"] == "3"
    assert parsed.record["entity_id"] == registered["id"]
    assert parsed.record["risks"][1:] == [{"code": "natural_disaster", "disaster": "drought", "note": None},
                                          {"code": "other", "disaster": None, "note": "主要劳力受伤"}]
