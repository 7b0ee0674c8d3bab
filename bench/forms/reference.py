"""Reference households for the taps bench (bench/forms/bench_taps.py) and its docs test.

Each household is a set of facts written as answers under every field name a shipped form has had
(the old rows of 是/否 and the new multi-selects side by side): ``fill_steps`` keeps only the
questions the current form asks, in form order, so the same facts measure the form before and
after a change. Calculated fields are never set; a question that is not relevant when its turn
comes is skipped by the engine (``ifRelevant``), as a cadre never sees it.
"""
from __future__ import annotations

from scoring import codes

from forms.catalog import fields_of
from forms.xpath import id_check_digit

R = "/data"
SURVEY_YEAR = 2026


def resident_id(birth: str, seq: str, address: str = "150121") -> str:
    first17 = address + birth + seq
    return first17 + id_check_digit(first17)


# Insurance codes of the per-member multi-select, and the 是/否 field each one stands for.
INSURANCE_FLAGS = {
    "resident_medical": "resident_medical_insurance", "employee_medical": "employee_medical_insurance",
    "serious_illness": "serious_illness_insurance", "commercial": "commercial_insurance",
    "medical_assistance": "medical_assistance", "resident_pension": "resident_pension",
    "employee_pension": "employee_pension",
}


def person(name: str, relation: str, birth: str, seq: str, *, education: str | None = None,
           school: str | None = None, health: str = "healthy", labour: str = "ordinary",
           work: tuple[int, str, str, str] | None = None, public_job: tuple[int, str] | None = None,
           disability: tuple[str, str, str] | None = None,
           insurance: tuple[str, ...] = ("resident_medical", "serious_illness", "resident_pension"),
           dibao: str = "none", mandarin: bool = True, phone: str | None = None) -> dict:
    """One member's answers under every field name the member pages have had."""
    ident = resident_id(birth, seq)
    m: dict = {"name": name, "relation": relation, "id_type": "resident_id", "id_number": ident,
               "name_entered": name, "relation_entered": relation, "id_type_entered": "resident_id",
               "id_number_entered": ident,
               "ethnicity": "01", "political": "masses", "health": health, "labour_skill": labour,
               "labour_entered": labour,
               "speaks_mandarin": "yes" if mandarin else "no", "dibao": dibao, "tekun": "none",
               "relocated": "no", "coresident": "yes", "work_months": "0", "public_job_months": "0",
               "work_months_entered": "0", "public_job_entered": "0"}
    age = SURVEY_YEAR - int(birth[:4])
    if school:
        m.update(in_school="yes", school_status=school, education_or_school=f"school_{school}")
    else:
        m.update(in_school="no", education=education, education_or_school=f"edu_{education}")
    if work:
        months, location, employer, channel = work
        m.update(work_months=str(months), work_months_entered=str(months), work_location=location,
                 employer=employer, employment_channel=channel, works_abroad="no", abroad_entered="no")
    if public_job:
        m.update(public_job_months=str(public_job[0]), public_job_entered=str(public_job[0]),
                 public_job_type=public_job[1])
    if disability:
        m.update(disability_type=disability[0], disability_grade=disability[1],
                 disability_cert_year=disability[2])
    chosen = [c for c in insurance if age >= 16 or not c.endswith("pension")]
    for code, old in INSURANCE_FLAGS.items():
        m[old] = "yes" if code in chosen else "no"
    m["insurance"] = " ".join(chosen) or "none"
    if phone:
        m["member_phone"] = phone
    return m


def _household(members: list[dict], income: dict[str, int], *, spending: dict[str, int] | None = None,
               risks: str = "", water_problems: tuple[str, ...] = (), exclusions: tuple[str, ...] = (),
               household_type: str = "alleviated") -> dict:
    head = members[0]
    a: dict = {
        "county": "150121", "township": "150121100", "village": "150121100201",
        "group_name": "三组", "address": "东村三组12号",
        "head_name": head["name"], "head_id_number": head["id_number"], "phone": "13904711234",
        "household_type": household_type, "military_family": "no", "relocated_settlement": "no", "settlement_entered": "no",
        "relocated_household": "no", "whole_household_no_labour": "no",
        "people_count": str(sum(m["coresident"] == "yes" for m in members)),
        "insurance_payouts": "0", "housing_unsafe": "no", "school_dropout": "no", "medical_uninsured": "no",
        "risks": risks, "gps": "40.68 111.15 1050 4.5", "authorization_photo": "authorization.jpg",
        "signature": "signature.png", "collector_name": "刘文", "collector_phone": "15847100000",
        "land_cultivated": "12.5",
    }
    for component, items in codes.INCOME_ITEMS.items():
        for item in items:
            name = f"{component}_{item.code}"
            a[name] = str(income.get(name, 0))
    for item in codes.SPENDING:
        value = (spending or {}).get(item.code, 0)
        a[f"spending_{item.code}"] = str(value)
        if value:
            a[f"spending_{item.code}_photo"] = f"receipt-{item.code}.jpg"
    for key in ("quality", "quantity", "convenience", "reliability"):
        a[f"water_{key}"] = "no" if key in water_problems else "yes"
    a["water_problems"] = " ".join(water_problems) or "none"
    a["household_flags"] = "none"
    for item in codes.EXCLUSION:
        a[f"excl_{item.code}"] = "yes" if item.code in exclusions else "no"
    a["exclusions_present"] = " ".join(exclusions) or "none"
    return {"answers": a, "members": members}


def one_member() -> dict:
    """A widow of 72 living alone, disabled, 低保, pension and subsidies."""
    return _household(
        [person("赵玉兰", "head", "19540302", "022", education="illiterate", health="chronic disabled",
                labour="lost", disability=("physical", "3", "2012"), dibao="rural")],
        {"transfer_dibao": 4200, "transfer_pension": 1800, "transfer_disability_allowance": 1200,
         "transfer_agri_subsidy": 300}, spending={"medical": 2400}, risks="illness disability")


def four_members() -> dict:
    """The family of issue 18: head 45 (migrant work), spouse with a chronic illness (public-welfare
    job), a middle-school child, a disabled elderly parent."""
    return _household([
        person("王建军", "head", "19810315", "031", education="junior",
               work=(10, "in_province", "呼和浩特某建筑公司", "self")),
        person("李秀兰", "spouse", "19830820", "042", education="primary", health="chronic", labour="weak",
               public_job=(12, "village")),
        person("王小明", "son", "20120509", "013", school="grade8", labour="none"),
        person("张桂英", "mother", "19470101", "026", education="illiterate", health="chronic disabled",
               labour="lost", disability=("physical", "2", "2015"), dibao="rural"),
    ], {"wage_migrant_work": 24000, "wage_public_job": 6000, "business_planting": 8000,
        "business_breeding": 3000, "transfer_pension": 2400, "transfer_agri_subsidy": 600,
        "business_costs_planting": 5000, "business_costs_breeding": 1000},
        spending={"medical": 6500}, risks="illness")


def seven_members() -> dict:
    """Three generations: head and spouse (both migrant workers), a son in senior high, a daughter
    in primary school, a pre-school grandchild, and the head's parents (father chronic, mother healthy)."""
    return _household([
        person("刘志强", "head", "19780611", "015", education="junior",
               work=(8, "out_province", "鄂尔多斯某煤矿", "enterprise")),
        person("陈红霞", "spouse", "19800214", "028", education="junior",
               work=(6, "in_county", "本村合作社", "self")),
        person("刘俊杰", "son", "20090903", "037", school="high2", labour="none",
               insurance=("resident_medical", "serious_illness", "commercial")),
        person("刘丽华", "daughter", "20160417", "046", school="primary", labour="none"),
        person("刘宝山", "grandson", "20220108", "053", school="preschool", labour="none"),
        person("刘德明", "father", "19500505", "011", education="primary", health="chronic", labour="weak"),
        person("孙淑珍", "mother", "19520909", "024", education="illiterate", labour="weak"),
    ], {"wage_migrant_work": 52000, "business_planting": 6000, "transfer_pension": 3600,
        "transfer_agri_subsidy": 900, "business_costs_planting": 2500},
        spending={"education": 3000}, water_problems=("convenience",), exclusions=("vehicle",),
        household_type="ordinary")


HOUSEHOLDS = {"1 member (disabled, alone)": one_member, "4 members (issue 18 family)": four_members,
              "7 members (students, migrant work)": seven_members}
REFERENCE = "4 members (issue 18 family)"


def fill_steps(form_id: str, hh: dict, extra: dict | None = None) -> list[dict]:
    """Fill steps for ``form_id``: every question the form asks that the facts answer, in form
    order; members are added as the repeat is reached."""
    answers = {**hh["answers"], **(extra or {})}
    steps: list[dict] = []
    member_fields: list = []
    member_path = ""
    for groups, f in fields_of(form_id):
        repeat = next((g for g in groups if g.repeat and g.name == "member"), None)
        if repeat is not None:
            if not member_fields:
                member_path = R + "/" + "/".join(g.name for g in groups)
            member_fields.append(f)
            continue
        if member_fields and not any(s.get("_members") for s in steps):
            steps += _member_steps(member_path, member_fields, hh["members"])
            steps.append({"_members": True})
        _answer(steps, R + "/" + "/".join(g.name for g in groups) + "/" + f.name, f, answers)
    return [s for s in steps if "_members" not in s]


def _member_steps(path: str, fields_, members: list[dict]) -> list[dict]:
    steps: list[dict] = []
    for i, m in enumerate(members, start=1):
        if i > 1:
            steps.append({"op": "add", "ref": path})
        for f in fields_:
            _answer(steps, f"{path}[{i}]/{f.name}", f, m)
    return steps


def _answer(steps: list[dict], ref: str, f, answers: dict) -> None:
    if f.type in ("calculate", "note") or f.name not in answers:
        return
    value = answers[f.name]
    if f.type == "image":
        steps.append({"op": "file", "ref": ref, "name": value, "ifRelevant": True})
    else:
        steps.append({"op": "set", "ref": ref, "value": value, "ifRelevant": True})
