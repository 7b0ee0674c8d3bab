"""A small world for register and API tests: a region tree under Inner Mongolia, users of every role
in their own region and in a neighbouring one, and a realistic household record."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from server.models import Region, User, UserRegion
from server.auth.passwords import hash_password

PASSWORD = "Passw0rd!x"
_HASH = None

REGIONS = [
    ("150000000000", None, "province", "内蒙古自治区"),
    ("150100000000", "150000000000", "city", "呼和浩特市"),
    ("150121000000", "150100000000", "county", "土默特左旗"),
    ("150121100000", "150121000000", "township", "察素齐镇"),
    ("150121100201", "150121100000", "village", "甲村"),
    ("150121100202", "150121100000", "village", "乙村"),
    ("150121101000", "150121000000", "township", "毕克齐镇"),
    ("150121101201", "150121101000", "village", "丙村"),
    ("150122000000", "150100000000", "county", "托克托县"),
    ("150122100000", "150122000000", "township", "双河镇"),
    ("150122100201", "150122100000", "village", "丁村"),
]

# role -> (own region, other region at the same level)
HOME = {
    "collector": ("150121100201", "150121100202"),
    "village": ("150121100201", "150121101201"),
    "township": ("150121100000", "150121101000"),
    "county": ("150121000000", "150122000000"),
}


@dataclass
class World:
    users: dict = field(default_factory=dict)   # name -> User; names: "<role>" and "<role>_other", "admin"


def build(session) -> World:  # noqa: ANN001
    global _HASH
    _HASH = _HASH or hash_password(PASSWORD)
    for code, parent, level, name in REGIONS:
        session.add(Region(code=code, parent_code=parent, level=level, name=name, vintage=2023))
        session.flush()
    world = World()
    for role, (own, other) in HOME.items():
        for suffix, code in (("", own), ("_other", other)):
            user = User(username=f"{role}{suffix}", role=role, display_name=role, password_hash=_HASH, active=True)
            user.regions = [UserRegion(region_code=code)]
            session.add(user)
            world.users[f"{role}{suffix}"] = user
    admin = User(username="admin", role="admin", display_name="admin", password_hash=_HASH, active=True)
    session.add(admin)
    world.users["admin"] = admin
    session.flush()
    return world


HEAD_ID = "150121198003150017"
SPOUSE_ID = "150121198207080028"
CHILD_ID = "150121201005060035"

_RECORD = {
    "form_id": "household_survey", "form_version": "1", "instance_id": "uuid:0001", "deprecated_id": None,
    "entity_id": None, "region_code": "150121100201", "group": "一组", "address": "甲村一组",
    "household_no": None, "head_name": "王大山", "head_id_number": HEAD_ID, "phone": "13800000000",
    "household_type": "ordinary", "military_family": False, "people_count": 3,
    "relocated_settlement": False, "settlement_address": None, "whole_household_no_labour": False,
    "members": [
        {"name": "王大山", "sex": "male", "id_type": "resident_id", "id_number": HEAD_ID, "birth_date": "1980-03-15",
         "ethnicity": "01", "relation": "head", "political": "masses", "education": "junior",
         "school_status": None, "health": ["serious_illness"], "labour_skill": "ordinary",
         "resident_medical_insurance": True, "dibao": "none", "tekun": "none", "coresident": True},
        {"name": "李小花", "sex": "female", "id_type": "resident_id", "id_number": SPOUSE_ID,
         "birth_date": "1982-07-08", "ethnicity": "01", "relation": "spouse", "political": "masses",
         "education": "primary", "school_status": None, "health": ["healthy"], "labour_skill": "ordinary",
         "resident_medical_insurance": True, "dibao": "none", "tekun": "none", "coresident": True},
        {"name": "王小明", "sex": "male", "id_type": "resident_id", "id_number": CHILD_ID, "birth_date": "2010-05-06",
         "ethnicity": "01", "relation": "son", "political": "masses", "education": None,
         "school_status": "grade9", "health": ["healthy"], "labour_skill": "none",
         "resident_medical_insurance": True, "dibao": "none", "tekun": "none", "coresident": True},
    ],
    "income": {"wage": {"migrant_work": 6000, "public_job": 0, "picking": 0},
               "business": {"planting": 3000, "breeding": 0, "forestry": 0, "other": 0},
               "property": {"dividend": 0, "land_transfer": 500, "loan_project": 0, "proxy_farming": 0, "other": 0},
               "transfer": {"family_planning": 0, "dibao": 0, "tekun": 0, "pension": 0, "eco_compensation": 200,
                            "support_from_children": 0, "disability_allowance": 0, "elderly_allowance": 0,
                            "agri_subsidy": 300, "relief": 0, "poverty_insurance": 0, "other": 0},
               "business_costs": {"planting": 1500, "breeding": 0, "forestry": 0, "other": 0},
               "insurance_payouts": 0, "previous_net": None},
    "spending": {"education": 0, "medical": 12000, "housing": 0, "water": 0, "disaster_loss": 0},
    "guarantees": {"school_dropout": False, "school_dropout_reason": None, "medical_uninsured": False,
                   "housing_unsafe": False, "house_grade": "A", "only_house": True, "water_unsafe": False,
                   "water": {"quality": True, "quantity": True, "convenience": True, "reliability": True}},
    "risks": [{"code": "illness", "disaster": None, "note": None}],
    "exclusions": {},
    "measures": [],
    "authorization_photo": "auth-1.jpg", "signature": "sig.png", "evidence_photos": [],
    "collector_name": "张干部", "survey_date": "2026-01-10",
    "elimination": None, "self_declaration": None,
}


def record(**changes) -> dict:  # noqa: ANN003
    out = copy.deepcopy(_RECORD)
    out.update(changes)
    return out


# --- fixtures (imported by the conftest of tests/server/register and tests/server/api) -------------
import pytest  # noqa: E402


@pytest.fixture
def world(app, db_session):  # noqa: ANN001
    w = build(db_session)
    db_session.commit()
    return w


class Api:
    """The Flask test client with a bearer token per user name."""

    def __init__(self, client):  # noqa: ANN001
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self.tokens:
            response = self.client.post("/api/v1/session", json={"username": user, "password": PASSWORD})
            assert response.status_code == 200, response.get_json()
            self.tokens[user] = response.get_json()["token"]
        return self.tokens[user]

    def call(self, method: str, path: str, user: str | None = None, **kwargs):  # noqa: ANN003, ANN201
        headers = kwargs.pop("headers", {})
        if user is not None:
            headers["Authorization"] = "Bearer " + self.token(user)
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, user: str | None = None, **kw):  # noqa: ANN003, ANN201
        return self.call("GET", path, user, **kw)

    def post(self, path: str, user: str | None = None, **kw):  # noqa: ANN003, ANN201
        return self.call("POST", path, user, **kw)


@pytest.fixture
def api(app, world):  # noqa: ANN001
    """No cookies: every call carries only its own bearer token (or nothing)."""
    return Api(app.test_client(use_cookies=False))
