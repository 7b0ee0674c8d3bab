"""Synthetic but realistic household records for the scoring benchmark (seeded, no I/O).

Shapes follow docs/household-record.md: 1–6 members with valid GB 11643 IDs (about 1 % carry a
typo), ages and schooling consistent with birth dates, incomes spread around the floors, a share
of households with risks, unsafe housing or water, exclusion answers and monitoring history.
"""
from __future__ import annotations

import random

from scoring import idcard

_COUNTIES = ("640122", "150102", "341525", "370323", "410522")
_RISKS = ("illness", "disability", "lack_of_labour", "accident", "education",
          "unstable_employment", "natural_disaster")


def _id(rng, county, y, m, d, male):
    seq = rng.randrange(0, 999)
    seq = seq - seq % 2 + (1 if male else 0)
    body = f"{county}{y:04d}{m:02d}{d:02d}{seq:03d}"
    check = idcard.check_digit(body)
    if rng.random() < 0.01:
        check = "0" if check != "0" else "1"
    return body + check


def _member(rng, county, relation, male, year, survey_year):
    m_, d_ = rng.randint(1, 12), rng.randint(1, 28)
    age = survey_year - year
    school = edu = None
    if age < 6:
        school = "preschool_child"
    elif age <= 11:
        school = "primary"
    elif age <= 14:
        school = ("grade7", "grade8", "grade9")[age - 12]
    elif age <= 17 and rng.random() < 0.7:
        school = ("high1", "high2", "high3")[min(age - 15, 2)]
    elif 18 <= age <= 21 and rng.random() < 0.3:
        school = "bachelor1"
    else:
        edu = rng.choice(("primary", "junior", "junior", "senior", "illiterate"))
    health = ["healthy"]
    r = rng.random()
    if age > 50 and r < 0.25:
        health = ["chronic"]
    elif r < 0.04:
        health = ["serious_illness"]
    elif r < 0.07:
        health = ["disabled"]
    if age < 16 or school:
        labour = "none"
    elif age > 65:
        labour = rng.choice(("none", "weak", "lost"))
    elif health != ["healthy"]:
        labour = rng.choice(("weak", "lost", "ordinary"))
    else:
        labour = rng.choice(("ordinary", "ordinary", "skilled"))
    sex = "male" if male else "female"
    mem = {
        "name": "某", "sex": sex, "id_type": "resident_id",
        "id_number": _id(rng, county, year, m_, d_, male),
        "birth_date": f"{year:04d}-{m_:02d}-{d_:02d}", "ethnicity": "01", "relation": relation,
        "political": "masses", "education": edu, "school_status": school, "dropout_reason": None,
        "health": health, "labour_skill": labour,
        "resident_medical_insurance": rng.random() > 0.02, "employee_medical_insurance": False,
        "uninsured_reason": "personal", "dibao": "rural" if rng.random() < 0.06 else "none",
        "tekun": "none", "coresident": True,
    }
    if labour in ("ordinary", "skilled") and rng.random() < 0.6:
        mem["work_location"] = rng.choice(("in_county", "in_province", "out_province"))
        mem["work_months"] = rng.randint(3, 11)
    if rng.random() < 0.3:
        mem["phone"] = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
    return mem


def household(rng: random.Random, survey_year: int = 2021) -> tuple[dict, dict | None]:
    """One (record, history) pair; history is None for households not in monitoring."""
    county = rng.choice(_COUNTIES)
    head_year = rng.randint(1940, 1995)
    head_male = rng.random() < 0.85
    members = [_member(rng, county, "head", head_male, head_year, survey_year)]
    size = rng.choice((1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6))
    if size >= 2:
        members.append(_member(rng, county, "spouse", not head_male,
                               head_year + rng.randint(-3, 3), survey_year))
    for _ in range(size - 2):
        child_year = min(head_year + rng.randint(20, 35), survey_year)
        male = rng.random() < 0.52
        members.append(_member(rng, county, "son" if male else "daughter", male, child_year,
                               survey_year))
    people = len(members)
    pc = max(0.0, rng.lognormvariate(9.0, 0.6))  # median ≈ 8,100 yuan per head
    net = pc * people
    wage = round(net * rng.uniform(0.3, 0.8))
    business = round(net * 0.2)
    costs = round(business * rng.uniform(0.1, 0.4))
    transfer = max(0, round(net - wage - business + costs - 500))
    ill = any(h != ["healthy"] for h in (m["health"] for m in members))
    medical = round(rng.uniform(500, 30000)) if ill and rng.random() < 0.6 else 0
    grade = rng.choice("AAAAAAAABBC" + ("D" if rng.random() < 0.1 else "A"))
    water_ok = rng.random() > 0.03
    risks = []
    if pc < 7000 or rng.random() < 0.05:
        for code in rng.sample(_RISKS, rng.randint(1, 2)):
            r = {"code": code}
            if code == "natural_disaster":
                r["disaster"] = "drought"
            risks.append(r)
    record = {
        "form_id": "household", "form_version": "2021", "instance_id": f"uuid:{rng.getrandbits(64):x}",
        "region_code": county + "100001", "head_name": "某",
        "head_id_number": members[0]["id_number"],
        "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        "household_type": "alleviated" if rng.random() < 0.4 else "ordinary",
        "people_count": people, "members": members,
        "income": {
            "wage": {"migrant_work": wage, "public_job": 0, "picking": 0},
            "business": {"planting": business, "breeding": 0, "forestry": 0, "other": 0},
            "property": {"dividend": 500, "land_transfer": 0, "loan_project": 0,
                         "proxy_farming": 0, "other": 0},
            "transfer": {"pension": transfer, "dibao": 2400 if any(m["dibao"] != "none" for m in members) else 0,
                         "agri_subsidy": 300},
            "business_costs": {"planting": costs, "breeding": 0, "forestry": 0, "other": 0},
            "insurance_payouts": 0, "previous_net": round(net * rng.uniform(0.8, 1.6)),
        },
        "spending": {"education": 0, "medical": medical, "housing": 0, "water": 0,
                     "disaster_loss": 0},
        "guarantees": {"school_dropout": False, "medical_uninsured": False,
                       "housing_unsafe": grade in "CD", "house_grade": grade, "only_house": True,
                       "water_unsafe": not water_ok,
                       "water": {"quality": water_ok, "quantity": True, "convenience": True,
                                 "reliability": True}},
        "risks": risks,
        "exclusions": {"vehicle": rng.random() < 0.05, "company": False},
        "land": {"cultivated": round(rng.uniform(0, 30), 1), "forest": 0},
        "road_distance_km": round(rng.uniform(0, 4), 1),
        "measures": [], "survey_date": f"{survey_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    }
    history = None
    if risks and rng.random() < 0.5:
        history = {"identified_on": f"{survey_year - 1}-{rng.randint(1, 12):02d}-10",
                   "category": "unstable" if record["household_type"] == "alleviated" else "marginal",
                   "measures": [{"measure": "industry", "date": f"{survey_year - 1}-12-01"}],
                   "assessments": [], "previous_net": None}
    return record, history
