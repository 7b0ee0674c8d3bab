"""Readable export households for the exports tests (the shape of docs/exports.md)."""
from __future__ import annotations

import copy

from scoring import idcard


def make_id(prefix17: str) -> str:
    """A valid 18-character ID number from its first 17 digits."""
    return prefix17 + idcard.check_digit(prefix17)


HEAD_ID = make_id("62052319800512001")        # male, 1980-05-12
SPOUSE_ID = make_id("62052319820304002")      # female, 1982-03-04
CHILD_ID = make_id("62052320120901003")       # male, 2012-09-01


def _member(**kw):
    base = {
        "name": "王建国", "sex": "male", "id_type": "resident_id", "id_number": HEAD_ID,
        "birth_date": "1980-05-12", "ethnicity": "01", "relation": "head", "political": "masses",
        "education": "junior", "school_status": None, "dropout_reason": None,
        "health": ["chronic"], "disability_type": None, "disability_grade": None,
        "disability_cert_year": None, "labour_skill": "ordinary",
        "work_location": "out_province", "work_months": 8, "employer": "宁波某电子厂",
        "employment_channel": "self", "works_abroad": False, "speaks_mandarin": True,
        "resident_medical_insurance": True, "employee_medical_insurance": False,
        "serious_illness_insurance": True, "commercial_insurance": False,
        "medical_assistance": False, "uninsured_reason": None, "resident_pension": True,
        "employee_pension": False, "dibao": "none", "tekun": "none", "relocated": False,
        "public_job_type": None, "public_job_months": None, "phone": "13912345678",
        "graduate_unemployed_reason": None, "coresident": True,
    }
    base.update(kw)
    return base


def make_household(**overrides):
    record = {
        "form_id": "household_survey", "form_version": "2026110101",
        "instance_id": "uuid:6f1c0f1e-8a55-4c3e-9d7a-1d2b3c4d5e6f", "deprecated_id": None,
        "entity_id": "0b5b1b0e-2f4e-4d8a-9a36-6d1e0c2f3a4b", "region_code": "620523101201",
        "group": "三组", "address": "甘谷县大像山镇杨家庄村三组", "household_no": "6205231012010035",
        "head_name": "王建国", "head_id_number": HEAD_ID, "phone": "13912345678",
        "household_type": "alleviated", "military_family": False, "people_count": 3,
        "relocated_settlement": False, "settlement_address": None,
        "whole_household_no_labour": False,
        "members": [
            _member(),
            _member(name="李秀英", sex="female", id_number=SPOUSE_ID, birth_date="1982-03-04",
                    relation="spouse", health=["healthy"], work_location=None, work_months=None,
                    employer=None, employment_channel=None, phone="13812345678"),
            _member(name="王小明", id_number=CHILD_ID, birth_date="2012-09-01", relation="son",
                    education=None, school_status="grade8", health=["healthy", "disabled"],
                    disability_type="physical", disability_grade="3", disability_cert_year=2020,
                    labour_skill="none", work_location=None, work_months=None, employer=None,
                    employment_channel=None, phone=None, political="cyl_member"),
        ],
        "income": {"wage": {"migrant_work": 24000}, "insurance_payouts": 1200},
        "spending": {"medical": 8000},
        "guarantees": {"school_dropout": False, "medical_uninsured": False,
                       "housing_unsafe": False, "house_grade": "B", "water_unsafe": False},
        "risks": [{"code": "illness", "disaster": None, "note": None},
                  {"code": "natural_disaster", "disaster": "flood", "note": "2026年7月洪涝"}],
        "measures": [{"measure": "health", "date": "2026-03-02", "amount": 3000, "note": None},
                     {"measure": "employment", "date": "2026-04-10", "amount": None, "note": None}],
        "land": {"cultivated": 4.5, "forest": 0},
        "road_distance_km": 0.8, "house_area_m2": 96,
        "authorization_photo": "auth-1.jpg", "signature": "sig-1.png",
        "evidence_photos": ["house-1.jpg", "bill-1.jpg"],
        "collector_name": "赵村干", "collector_phone": "13700000000", "survey_date": "2026-03-01",
        "elimination": None, "self_declaration": None,
    }
    hh = {
        "household_id": 17,
        "household_no": "6205231012010035",
        "region": {"code": "620523101201", "province": "甘肃省", "city": "天水市",
                   "county": "甘谷县", "township": "大像山镇", "village": "杨家庄村"},
        "record": record,
        "assessment": {  # the shape of scoring's Assessment.to_dict() (fields exports reads)
            "category": "unstable",
            "income": {"wage": 24000, "business": 0, "property": 0, "transfer": 1200,
                       "business_costs": 8000, "insurance_payouts": 1200, "net": 17200,
                       "people": 3, "per_capita": 5733.333},
            "spending": {"total": 8000, "by_kind": {"medical": 8000}},
        },
        "category": "unstable", "status": "monitored", "identified_on": "2026-03-15", "eliminated_on": None,
        "elimination_method": None, "reason": "因病、因自然灾害（洪涝）",
        "updated_at": "2026-03-20T08:30:00+00:00",
    }
    for key, value in overrides.items():
        hh[key] = value
    return copy.deepcopy(hh)

