"""Readable household records for the scoring tests (docs/household-record.md)."""
from __future__ import annotations

import copy

from scoring import idcard


def make_id(address: str, birth: str, seq: int, sex: str) -> str:
    """A valid 18-character ID: birth "YYYY-MM-DD"; sequence parity set from sex."""
    s = seq - (seq % 2) + (1 if sex == "male" else 0)
    body = f"{address}{birth.replace('-', '')}{s:03d}"
    return body + idcard.check_digit(body)


def member(relation="head", sex="male", birth="1970-05-01", seq=12, **kw) -> dict:
    m = {
        "name": "测试", "sex": sex, "id_type": "resident_id",
        "id_number": make_id("640122", birth, seq, sex), "birth_date": birth, "ethnicity": "01",
        "relation": relation, "political": "masses", "education": "junior", "school_status": None,
        "dropout_reason": None, "health": ["healthy"], "labour_skill": "ordinary",
        "resident_medical_insurance": True, "employee_medical_insurance": False,
        "dibao": "none", "tekun": "none", "coresident": True,
    }
    m.update(kw)
    return m


def household(**kw) -> dict:
    """A four-person ordinary household, income 40,000 (10,000 per head), no problems."""
    rec = {
        "form_id": "household", "form_version": "1", "instance_id": "uuid:test",
        "region_code": "640122100001", "head_name": "测试", "phone": "13912345678",
        "household_type": "ordinary", "people_count": 4, "survey_date": "2020-06-15",
        "members": [
            member("head", "male", "1970-05-01", 11),
            member("spouse", "female", "1972-03-08", 22),
            member("son", "male", "2008-09-01", 33, education=None, school_status="grade7",
                   labour_skill="none"),
            member("mother", "female", "1945-01-20", 44, labour_skill="none",
                   education="illiterate", health=["chronic"]),
        ],
        "income": {"wage": {"migrant_work": 30000}, "business": {"planting": 8000},
                   "business_costs": {"planting": 2000}, "property": {"land_transfer": 1000},
                   "transfer": {"pension": 3000}, "insurance_payouts": 0},
        "spending": {"education": 0, "medical": 0, "housing": 0, "water": 0, "disaster_loss": 0},
        "guarantees": {"school_dropout": False, "medical_uninsured": False, "housing_unsafe": False,
                       "house_grade": "A", "only_house": True, "water_unsafe": False,
                       "water": {"quality": True, "quantity": True, "convenience": True,
                                 "reliability": True}},
        "risks": [], "exclusions": {}, "land": {"cultivated": 6}, "road_distance_km": 1.2,
        "measures": [],
    }
    rec["members"][0]["work_months"] = 10
    rec["members"][0]["work_location"] = "out_province"
    rec["head_id_number"] = rec["members"][0]["id_number"]
    for key, value in kw.items():
        rec[key] = value
    return rec


def with_income(rec: dict, per_capita_net: float) -> dict:
    """The record with income rewritten so that net income ÷ people = per_capita_net."""
    rec = copy.deepcopy(rec)
    people = rec["people_count"]
    rec["income"] = {"wage": {"migrant_work": per_capita_net * people}, "business": {},
                     "business_costs": {}, "property": {}, "transfer": {}, "insurance_payouts": 0}
    return rec


def fired(assessment) -> set[str]:
    """{"RULE-ID:variant", ...} of an assessment's findings."""
    return {f"{f.rule_id}:{f.variant}" for f in assessment.findings}


def not_info(assessment) -> set[str]:
    return {f"{f.rule_id}:{f.variant}" for f in assessment.findings if f.severity != "info"}


def run(mutate=None, region="640122", year=2020, history=None, as_of=None, record=None):
    """Assess a fresh base household after ``mutate(record)`` (which edits it in place)."""
    import scoring
    rec = record if record is not None else household()
    if mutate is not None:
        mutate(rec)
    return scoring.assess(rec, scoring.load_policy(region, year), history, as_of)


def set_in(path: str, value):
    """A mutator that sets a nested key: set_in("guarantees.house_grade", "C")."""
    def mutate(rec):
        keys = path.split(".")
        target = rec
        for k in keys[:-1]:
            target = target[int(k)] if isinstance(target, list) else target.setdefault(k, {})
        if isinstance(target, list):
            target[int(keys[-1])] = value
        else:
            target[keys[-1]] = value
    return mutate


def chain(*mutators):
    def mutate(rec):
        for m in mutators:
            m(rec)
    return mutate
