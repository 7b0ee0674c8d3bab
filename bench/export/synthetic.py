"""Deterministic synthetic export households for the benchmarks (shape: docs/exports.md).

Generated lazily, one household at a time, so the generator itself holds no memory.
"""
from __future__ import annotations

import random

from scoring import codes, idcard

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国秀英小明志强丽华春梅海燕文军玉兰红霞桂芳永刚德明金花宝山"
TOWNSHIPS = [f"{n}镇" for n in ("大像山", "新兴", "磐安", "六峰", "安远", "金山", "白家湾", "礼辛")]


def _name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def _id(rng, region6, birth):
    body = f"{region6}{birth.replace('-', '')}{rng.randrange(1000):03d}"
    return body + idcard.check_digit(body)


def households(n: int, seed: int = 7, members_mean: float = 3.5):
    rng = random.Random(seed)
    relations = ["spouse", "son", "daughter", "father", "mother", "grandson", "granddaughter"]
    for i in range(n):
        township = TOWNSHIPS[i % len(TOWNSHIPS)]
        village = f"第{(i // 97) % 40 + 1}村"
        size = max(1, min(9, int(rng.gauss(members_mean, 1.3) + 0.5)))
        members = []
        for k in range(size):
            year = rng.randrange(1940, 2020)
            birth = f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            works = rng.random() < 0.3
            members.append({
                "name": _name(rng), "sex": rng.choice(("male", "female")),
                "id_type": "resident_id", "id_number": _id(rng, "620523", birth),
                "birth_date": birth, "ethnicity": "01" if rng.random() < 0.9 else "04",
                "relation": "head" if k == 0 else rng.choice(relations),
                "political": "masses", "education": rng.choice(codes.EDUCATION.codes),
                "school_status": None, "dropout_reason": None,
                "health": rng.choice([["healthy"], ["chronic"], ["serious_illness"], ["disabled", "chronic"]]),
                "disability_type": None, "disability_grade": None, "disability_cert_year": None,
                "labour_skill": rng.choice(codes.LABOUR_SKILL.codes),
                "work_location": rng.choice(codes.WORK_LOCATION.codes) if works else None,
                "work_months": rng.randrange(1, 13) if works else None,
                "employer": "某某建筑公司" if works else None,
                "employment_channel": "self" if works else None, "works_abroad": False,
                "speaks_mandarin": True, "resident_medical_insurance": True,
                "employee_medical_insurance": False, "serious_illness_insurance": True,
                "commercial_insurance": False, "medical_assistance": rng.random() < 0.1,
                "uninsured_reason": None, "resident_pension": True, "employee_pension": False,
                "dibao": rng.choice(("none", "none", "rural")), "tekun": "none", "relocated": False,
                "public_job_type": None, "public_job_months": None,
                "phone": f"139{rng.randrange(10**8):08d}", "graduate_unemployed_reason": None,
                "coresident": True,
            })
        head = members[0]
        net = rng.randrange(2000, 60000)
        yield {
            "household_id": i + 1, "household_no": f"62052310{i:08d}",
            "region": {"code": "620523101201", "province": "甘肃省", "city": "天水市",
                       "county": "甘谷县", "township": township, "village": village},
            "record": {
                "form_id": "household_survey", "form_version": "1", "instance_id": f"uuid:{i}",
                "region_code": "620523101201", "group": f"{rng.randrange(1, 9)}组",
                "household_no": f"62052310{i:08d}", "head_name": head["name"],
                "head_id_number": head["id_number"], "phone": head["phone"],
                "household_type": rng.choice(("alleviated", "ordinary")),
                "military_family": False, "people_count": size, "members": members,
                "relocated_settlement": False, "whole_household_no_labour": False,
                "income": {"insurance_payouts": 0},
                "guarantees": {"school_dropout": False, "medical_uninsured": False,
                               "housing_unsafe": rng.random() < 0.05, "water_unsafe": False},
                "risks": [{"code": rng.choice(codes.RISK.codes[:8]), "disaster": None, "note": None}],
                "measures": [{"measure": rng.choice(codes.MEASURE.codes), "date": "2026-04-01"}],
                "land": {"cultivated": round(rng.random() * 10, 2)},
                "road_distance_km": 1.2, "house_area_m2": 80,
                "authorization_photo": f"auth-{i}.jpg", "evidence_photos": [f"photo-{i}.jpg"],
                "collector_name": "赵村干", "survey_date": "2026-03-01",
            },
            "category": rng.choice(codes.CATEGORY.codes),
            "assessment": {"category": None,
                           "income": {"wage": net, "business": 0, "property": 0, "transfer": 0,
                                      "business_costs": 0, "net": net, "people": size,
                                      "per_capita": round(net / size, 2)},
                           "spending": {"total": 0}},
            "status": "monitored", "identified_on": "2026-03-15", "eliminated_on": None,
            "elimination_method": None, "reason": None,
            "updated_at": "2026-03-20T08:30:00+00:00",
        }
