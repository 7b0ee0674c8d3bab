"""Issue 18 on the phone (ODK Web Forms engine): pages headed by the member's name, figures shown
only once entered, contradictions caught, the self-declaration's checks, the follow-up's visible
registered values and its picker label."""
from __future__ import annotations

import pytest

import forms
from forms.entities import picker_label

from tests.forms.household import HEAD_ID, M, R, household_steps, location_steps, member_steps

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def built(policy):
    return {b.form_id: b for b in forms.build_all(policy)}


def _tree_nodes(tree, out=None):
    out = {} if out is None else out
    out[tree["ref"]] = tree
    for child in tree.get("children") or ():
        _tree_nodes(child, out)
    return out


def _run_tree(engine, b, steps, media=None):
    """Fill like ``engine.run`` and also return the engine's node tree by reference (labels, hints)."""
    from bench.forms.bench_taps import run_engine
    out = run_engine(b.xml_bytes, steps, {**b.media, **(media or {})})
    return out, _tree_nodes(out["tree"])


def test_member_pages_are_headed_by_the_members_name(engine, built):
    b = built["household_survey"]
    steps = [{"op": "set", "ref": f"{R}/head/head_name", "value": "王建国"},
             *member_steps(2, name="王丽", relation="daughter")]
    _, nodes = _run_tree(engine, b, steps)
    assert "家庭成员 1：王建国" in nodes[f"{M}[1]/member_header"]["label"]
    assert "家庭成员 2：王丽" in nodes[f"{M}[2]/member_header"]["label"]
    assert "field-list" in nodes[M]["appearances"] or "field-list" in nodes[f"{M}[1]"]["appearances"]


def test_figures_and_summary_only_once_people_and_income_are_entered(engine, built):
    b = built["household_survey"]
    refs = [f"{R}/income/income_totals/below_floor", f"{R}/income/income_totals/income_summary", f"{R}/summary"]
    empty = engine.run(b.xml_bytes, [{"op": "read", "ref": r} for r in refs], b.media)["reads"]
    assert [r["relevant"] for r in empty] == [False, False, False]          # not on an empty form
    steps = household_steps() + [{"op": "set", "ref": f"{R}/income/income_wage/wage_migrant_work", "value": "0"},
                                 {"op": "set", "ref": f"{R}/income/income_wage/wage_public_job", "value": "0"}]
    out, nodes = _run_tree(engine, b, steps)
    assert nodes[refs[0]]["relevant"] and nodes[refs[1]]["relevant"] and nodes[refs[2]]["relevant"]
    text = nodes[f"{R}/summary/summary_income"]["label"] + nodes[f"{R}/summary/summary_guarantees"]["label"]
    assert "人均纯收入 2000 元/年" in text and "低于标准" in text and "饮水 ⚠ 不安全" in text, text
    assert "6500" in nodes[f"{R}/summary/summary_spending"]["label"]


def test_units_cost_labels_and_no_english_in_chinese_labels(policy):
    from dataclasses import replace
    from forms.xlsform import EN, ZH, SURVEY_COLUMNS, sheets
    national = "界定月份的上年同月至当年上一月（前 12 个月）/ the 12 months ending the month before identification"
    survey = sheets("household_survey", replace(policy, income_period=national)).survey
    zh, en = SURVEY_COLUMNS.index(f"label::{ZH}"), SURVEY_COLUMNS.index(f"label::{EN}")
    labels = {row[1]: row[zh] for row in survey}
    assert labels["business_planting"] == "种植业（元/年）"
    assert labels["business_costs_planting"] == "种植业成本（元/年）"
    amounts = [row for row in survey if row[0] == "decimal" and row[1].startswith(
        ("wage_", "business_", "property_", "transfer_", "spending_", "insurance_payouts"))]
    assert amounts and all(row[zh].endswith("（元/年）") for row in amounts)
    assert labels["income"] == "收入情况（界定月份的上年同月至当年上一月（前 12 个月））"
    assert not [row[1] for row in survey if "the 12 months" in row[zh]]
    assert "the 12 months" in next(row[en] for row in survey if row[1] == "income")
    assert labels["signature"] == "户主（或代签人）签名"


def test_elimination_check_refuses_income_stable_below_the_floor(engine, built):
    b = built["elimination_check"]
    props = {p: 0 for p in forms.ENTITY_PROPERTIES}
    props.update(region_code="150121100201", people_count=4, wage_migrant_work=21600)   # 5400 per head
    households = forms.households_csv([("7d1f1e1e-0000-4000-8000-000000000003", "王建国（4人）", 2, props)])
    ref = f"{R}/elimination/elim_income_stable"
    out = engine.run(b.xml_bytes, location_steps() + [
        {"op": "set", "ref": f"{R}/location/household", "value": "7d1f1e1e-0000-4000-8000-000000000003"},
        {"op": "set", "ref": ref, "value": "yes"}, {"op": "read", "ref": ref},
        {"op": "set", "ref": ref, "value": "no"}, {"op": "read", "ref": ref}],
        {**b.media, forms.HOUSEHOLDS_CSV: households})
    assert out["reads"][0]["violation"]["condition"] == "constraint"
    assert "5400" in out["reads"][0]["violation"]["message"]
    assert out["reads"][1]["violation"] is None


def test_self_declaration_needs_a_difficulty_or_a_description(engine, built):
    b = built["self_declaration"]
    base = location_steps() + [
        {"op": "set", "ref": f"{R}/head/head_name", "value": "赵六"},
        {"op": "set", "ref": f"{R}/head/head_id_number", "value": HEAD_ID},
        {"op": "set", "ref": f"{R}/head/phone", "value": "13800001111"},
        {"op": "set", "ref": f"{R}/head/people_count", "value": "3"},
        {"op": "set", "ref": f"{R}/declaration/decl_consent", "value": "yes"},
    ]
    empty = engine.run(b.xml_bytes, base, b.media)
    assert empty["status"] == "pending"
    assert {v["ref"] for v in empty["payloadViolations"]} == {f"{R}/declaration/decl_description"}
    described = engine.run(b.xml_bytes, base + [
        {"op": "set", "ref": f"{R}/declaration/decl_description", "value": "丈夫摔伤住院"},
        {"op": "file", "ref": f"{R}/declaration/decl_photo", "name": "bill.jpg"}], b.media)
    assert described["status"] == "ready", described["violations"]
    rec = forms.parse_submission(described["instance"].encode()).record
    assert rec["evidence_photos"] == ["bill.jpg"] and rec["survey_date"] is not None
    # 内生动力不足 is not offered to the farmer declaring for themselves (a cadre may record it)
    assert "weak_motivation" not in _risk_choices(b) and "weak_motivation" in _risk_choices(built["followup_visit"])
    assert "setvalue" not in b.xml_bytes.decode()        # browser-facing: nothing set by setvalue


def _risk_choices(b) -> set[str]:
    """The risk codes the form's risks question offers (its choice filter applied)."""
    from lxml import etree
    ns = {"x": "http://www.w3.org/2002/xforms"}
    root = etree.fromstring(b.xml_bytes)
    select = root.find(".//x:select[@ref='/data/risk/risks']", ns)
    itemset = select.find("x:itemset", ns)
    if itemset is None:
        return {el.text for el in select.iter("{http://www.w3.org/2002/xforms}value")}
    nodeset = itemset.get("nodeset")                       # instance('risk')/root/item[<filter>]
    items = root.find(f".//x:instance[@id='{nodeset.split(chr(39))[1]}']", ns)
    codes = {item.findtext("x:name", namespaces=ns) for item in items.iter("{http://www.w3.org/2002/xforms}item")}
    excluded = {c for c in codes if f"name != '{c}'" in nodeset}
    return codes - excluded


def test_follow_up_shows_the_registered_values_beside_the_prefilled_fields(engine, built):
    b = built["followup_visit"]
    props = {p: None for p in forms.ENTITY_PROPERTIES}
    props.update(region_code="150121100201", people_count=4, wage_migrant_work=24000, last_visit="2026-10-08")
    label = picker_label("王建国", props)
    assert label == "王建国（4人，上次走访 2026-10-08）"
    households = forms.households_csv([("7d1f1e1e-0000-4000-8000-000000000004", label, 2, props)])
    wage = f"{R}/income/income_wage/wage_migrant_work"
    out, nodes = _run_tree(engine, b, location_steps() + [
        {"op": "set", "ref": f"{R}/location/household", "value": "7d1f1e1e-0000-4000-8000-000000000004"},
        {"op": "set", "ref": wage, "value": "12000"}], {forms.HOUSEHOLDS_CSV: households})
    assert float(nodes[wage]["value"]) == 12000
    assert "上次登记：24000" in nodes[wage]["hint"]                       # the change is visible
    assert "上次登记：4" in nodes[f"{R}/head/people_count"]["hint"]
