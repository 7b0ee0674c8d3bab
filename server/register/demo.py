"""Demo households for `shoudi init --demo`: a few plausible households per village, registered and
scored like real submissions (deterministic, so every demo looks the same). Never used outside demos."""
from __future__ import annotations

import random
from datetime import date
from typing import Iterable

from sqlalchemy.orm import Session

from scoring.idcard import check_digit

from .households import apply_record

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马胡朱高林何郭罗"
_MALE = ("建国", "志强", "海军", "永明", "国华", "俊杰", "长青", "晓东")
_FEMALE = ("秀英", "桂兰", "淑珍", "海燕", "丽娟", "春梅", "玉兰", "晓红")


_USED: set[str] = set()


def _id_number(region: str, born: date, seq: int, male: bool) -> str:
    """A valid 证件号码 (sex digit by parity), distinct from every one issued in this process."""
    for attempt in range(500):
        seq3 = ((seq + attempt) % 500) * 2 + (1 if male else 0)
        first17 = f"{region[:6]}{born:%Y%m%d}{seq3:03d}"
        number = first17 + check_digit(first17)
        if number not in _USED:
            _USED.add(number)
            return number
    raise RuntimeError("no free demo ID number")


def _member(rnd: random.Random, region: str, relation: str, born: date, male: bool, seq: int, surname: str,
            **extra) -> dict:
    name = surname + rnd.choice(_MALE if male else _FEMALE)
    member = {"name": name, "sex": "male" if male else "female", "id_type": "resident_id",
              "id_number": _id_number(region, born, seq, male), "birth_date": born.isoformat(), "ethnicity": "01",
              "relation": relation, "political": "masses", "education": "junior", "school_status": None,
              "health": ["healthy"], "labour_skill": "ordinary", "resident_medical_insurance": True,
              "dibao": "none", "tekun": "none", "coresident": True}
    member.update(extra)
    return member


def demo_record(rnd: random.Random, village: str, n: int, survey: date) -> dict:
    """One household: a couple, sometimes a child in school and a grandparent; incomes and medical
    costs spread so that some fall below the floor and some are hit by illness."""
    surname = rnd.choice(_SURNAMES)
    seq = n * 5
    head_born = date(rnd.randint(1960, 1990), rnd.randint(1, 12), rnd.randint(1, 28))
    members = [_member(rnd, village, "head", head_born, True, seq, surname),
               _member(rnd, village, "spouse", date(head_born.year + 2, rnd.randint(1, 12), rnd.randint(1, 28)),
                       False, seq + 1, rnd.choice(_SURNAMES))]
    if rnd.random() < 0.7:
        members.append(_member(rnd, village, "son", date(2010 + rnd.randint(0, 6), 5, 6), True, seq + 2, surname,
                               education=None, school_status="grade9", labour_skill="none"))
    ill = rnd.random() < 0.4
    if ill:
        members[0]["health"] = ["serious_illness"]
    if rnd.random() < 0.3:
        members.append(_member(rnd, village, "mother", date(1945, 3, 3), False, seq + 3, rnd.choice(_SURNAMES),
                               labour_skill="none", health=["chronic"]))
    wage = rnd.choice((0, 4000, 8000, 15000, 30000))
    return {
        "form_id": "household_survey", "region_code": village, "head_name": members[0]["name"],
        "head_id_number": members[0]["id_number"], "phone": f"139{rnd.randint(10000000, 99999999)}",
        "household_type": rnd.choice(("alleviated", "ordinary")), "people_count": len(members),
        "whole_household_no_labour": False, "members": members,
        "income": {"wage": {"migrant_work": wage, "public_job": rnd.choice((0, 0, 6000)), "picking": 0},
                   "business": {"planting": rnd.randint(1, 8) * 1000, "breeding": rnd.choice((0, 2000)),
                                "forestry": 0, "other": 0},
                   "property": {"dividend": 300, "land_transfer": rnd.choice((0, 600)), "loan_project": 0,
                                "proxy_farming": 0, "other": 0},
                   "transfer": {"family_planning": 0, "dibao": 0, "tekun": 0, "pension": rnd.choice((0, 2400)),
                                "eco_compensation": 200, "support_from_children": 0, "disability_allowance": 0,
                                "elderly_allowance": 0, "agri_subsidy": 500, "relief": 0, "poverty_insurance": 0,
                                "other": 0},
                   "business_costs": {"planting": 1200, "breeding": 0, "forestry": 0, "other": 0},
                   "insurance_payouts": 0, "previous_net": None},
        "spending": {"education": 0, "medical": rnd.choice((15000, 30000)) if ill else 0, "housing": 0,
                     "water": 0, "disaster_loss": 0},
        "guarantees": {"school_dropout": False, "medical_uninsured": False, "housing_unsafe": False,
                       "house_grade": "A", "only_house": True, "water_unsafe": False,
                       "water": {"quality": True, "quantity": True, "convenience": True, "reliability": True}},
        "risks": [{"code": "illness", "disaster": None, "note": None}] if ill else [],
        "exclusions": {}, "measures": [], "authorization_photo": None, "evidence_photos": [],
        "survey_date": survey.isoformat(),
    }


def seed_households(session: Session, villages: Iterable[str], *, per_village: int = 4,
                    survey: date | None = None, policy_year: int | None = None) -> int:
    """Register and score ``per_village`` demo households in each village; returns how many.

    Scoring uses the policy of ``policy_year`` (default: the survey year); without one the households
    stay unscored, the audit log says why, until `shoudi rescore` runs under a policy that exists.
    """
    import scoring

    from . import audit
    from .assessing import assess_version

    rnd = random.Random(20210629)
    from server.workflow import china_today
    survey = survey or china_today()
    count = 0
    for v_index, village in enumerate(villages):
        for i in range(per_village):
            applied = apply_record(session, demo_record(rnd, village, v_index * 100 + i, survey))
            try:
                assess_version(session, applied.household, applied.version, year=policy_year)
            except scoring.PolicyNotFound as exc:
                audit.record(session, "assessment.create", entity_type="household_version",
                             entity_id=applied.version.id, household_id=applied.household.id,
                             region_code=village, after={"unscored": str(exc)})
            count += 1
    session.flush()
    return count
