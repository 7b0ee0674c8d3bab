"""A realistic household (four members) as engine fill steps, and its expected record values."""
from __future__ import annotations

from forms.xpath import id_check_digit


def resident_id(address: str, birth: str, seq: str) -> str:
    first17 = address + birth + seq
    return first17 + id_check_digit(first17)


HEAD_ID = resident_id("150121", "19680315", "031")     # male (odd)
WIFE_ID = resident_id("150121", "19700820", "042")     # female
SON_ID = resident_id("150121", "20120509", "013")      # male, 14 in 2026
MOTHER_ID = resident_id("150121", "19420101", "026")   # female, 84

R = "/data"
M = R + "/member"


def location_steps(village: str = "150121100201") -> list[dict]:
    return [
        {"op": "set", "ref": f"{R}/location/county", "value": "150121"},
        {"op": "set", "ref": f"{R}/location/township", "value": village[:9]},
        {"op": "set", "ref": f"{R}/location/village", "value": village},
    ]


_INSURANCE = {"resident_medical_insurance": "resident_medical", "employee_medical_insurance": "employee_medical",
              "serious_illness_insurance": "serious_illness", "commercial_insurance": "commercial",
              "medical_assistance": "medical_assistance", "resident_pension": "resident_pension",
              "employee_pension": "employee_pension"}
_RENAMED = {"labour_skill": "labour_entered", "work_months": "work_months_entered",
            "public_job_months": "public_job_entered", "works_abroad": "abroad_entered"}
_MEMBER_1_FROM_HEAD = ("name", "relation", "id_type", "id_number")


def member_answers(i: int, answers: dict) -> dict:
    """A member's facts (named as the national columns) as the questions the form asks: member 1
    is the head (name and ID from the head's answers), other members' identity in *_entered,
    文化程度/在校生状况 as one question, the seven insurance 是/否 as one multi-select, 普通话 and
    易地搬迁 asked for the household."""
    out: dict = {}
    insured = []
    for key, value in answers.items():
        if key in _MEMBER_1_FROM_HEAD:
            if i > 1:
                out[f"{key}_entered"] = value
        elif key in _INSURANCE:
            if value == "yes":
                insured.append(_INSURANCE[key])
        elif key in ("in_school", "speaks_mandarin", "relocated"):
            continue
        elif key == "education":
            out["education_or_school"] = f"edu_{value}"
        elif key == "school_status":
            out["education_or_school"] = f"school_{value}"
        else:
            out[_RENAMED.get(key, key)] = value
    if any(k in answers for k in _INSURANCE):
        out["insurance"] = " ".join(insured) or "none"
    return out


def member_steps(i: int, **answers) -> list[dict]:
    steps = [{"op": "add", "ref": M}] if i > 1 else []
    return steps + [{"op": "set", "ref": f"{M}[{i}]/{k}", "value": v, "ifRelevant": True}
                    for k, v in member_answers(i, answers).items()]


ADULT = dict(ethnicity="01", political="masses", speaks_mandarin="yes",
             resident_medical_insurance="yes", employee_medical_insurance="no",
             serious_illness_insurance="yes", commercial_insurance="no", medical_assistance="no",
             resident_pension="yes", employee_pension="no", dibao="none", tekun="none",
             relocated="no", coresident="yes")

INCOME = {"wage_migrant_work": 24000, "wage_public_job": 6000, "business_planting": 8000,
          "business_breeding": 3000, "transfer_pension": 2400, "transfer_agri_subsidy": 600,
          "business_costs_planting": 5000, "business_costs_breeding": 1000}
# net = 24000 + 6000 + 8000 + 3000 + 2400 + 600 - 5000 - 1000 = 38000; per capita 38000 / 4 = 9500
NET = 38000
PER_CAPITA = 9500


def household_steps() -> list[dict]:
    steps = location_steps()
    steps += [
        {"op": "set", "ref": f"{R}/location/group_name", "value": "三组"},
        {"op": "set", "ref": f"{R}/location/address", "value": "东村三组12号"},
        {"op": "set", "ref": f"{R}/head/head_name", "value": "王建国"},
        {"op": "set", "ref": f"{R}/head/head_id_number", "value": HEAD_ID},
        {"op": "set", "ref": f"{R}/head/phone", "value": "13904711234"},
        {"op": "set", "ref": f"{R}/head/household_type", "value": "alleviated"},
        {"op": "set", "ref": f"{R}/head/household_flags", "value": "none"},
    ]
    steps += member_steps(1, name="王建国", relation="head", id_type="resident_id", id_number=HEAD_ID,
                          in_school="no", education="junior", health="healthy", labour_skill="ordinary",
                          work_months="10", work_location="in_province", employer="呼和浩特某建筑公司",
                          employment_channel="self", works_abroad="no", public_job_months="0", **ADULT)
    steps += member_steps(2, name="李秀兰", relation="spouse", id_type="resident_id", id_number=WIFE_ID,
                          in_school="no", education="primary", health="chronic", labour_skill="weak",
                          work_months="0", public_job_months="12", public_job_type="village", **ADULT)
    steps += member_steps(3, name="王小明", relation="son", id_type="resident_id", id_number=SON_ID,
                          in_school="yes", school_status="grade8", health="healthy", labour_skill="none",
                          **{**ADULT, "political": "masses"})
    steps += member_steps(4, name="张桂英", relation="mother", id_type="resident_id", id_number=MOTHER_ID,
                          in_school="no", education="illiterate", health="chronic disabled",
                          disability_type="physical", disability_grade="2", disability_cert_year="2015",
                          labour_skill="lost", work_months="0", public_job_months="0",
                          **{**ADULT, "dibao": "rural"})
    base = f"{R}/income"
    from scoring import codes
    for component, items in codes.INCOME_ITEMS.items():
        for item in items:
            name = f"{component}_{item.code}"
            steps.append({"op": "set", "ref": f"{base}/income_{component}/{name}",
                          "value": str(INCOME.get(name, 0))})
    steps += [
        {"op": "set", "ref": f"{base}/income_totals/insurance_payouts", "value": "0"},
        {"op": "set", "ref": f"{base}/income_totals/previous_net", "value": "41000"},
        {"op": "set", "ref": f"{R}/spending/spending_medical", "value": "6500"},
        {"op": "file", "ref": f"{R}/spending/spending_medical_photo", "name": "receipt-1.jpg"},
        {"op": "set", "ref": f"{R}/guarantees/water_problems", "value": "convenience"},
        {"op": "set", "ref": f"{R}/risk/risks", "value": "illness natural_disaster other"},
        {"op": "set", "ref": f"{R}/risk/risk_disaster", "value": "drought"},
        {"op": "set", "ref": f"{R}/risk/risk_note", "value": "主要劳力受伤"},
    ]
    steps.append({"op": "set", "ref": f"{R}/exclusions/exclusions_present", "value": "vehicle"})
    steps += [
        {"op": "set", "ref": f"{R}/land/land_cultivated", "value": "12.5"},
        {"op": "set", "ref": f"{R}/land/road_distance_km", "value": "0.8"},
        {"op": "set", "ref": f"{R}/signoff/gps", "value": "40.68 111.15 1050 4.5"},
        {"op": "file", "ref": f"{R}/signoff/authorization_photo", "name": "authorization.jpg"},
        {"op": "file", "ref": f"{R}/signoff/signature", "name": "signature.png", "mime": "image/png"},
        {"op": "set", "ref": f"{R}/signoff/collector_name", "value": "刘文"},
        {"op": "set", "ref": f"{R}/signoff/collector_phone", "value": "15847100000"},
    ]
    return steps
