"""The role × region matrix: every endpoint, every role, own region and another region.

A user whose role may not use an endpoint gets 403; one whose regions do not contain the object gets
404 (its existence is not revealed) or a list without it; one inside gets an answer. Any leak fails.
"""
import io

import pytest

from server.register.households import apply_record
from server.register.comparison_import import create_batch
from server.register.cases import open_case
from server.register.models import ComparisonWarning
from server.storage import get_blobs
from tests.server.register.world import HEAD_ID, HOME, record

ROLES = ["collector", "village", "township", "county"]
USERS = [(r, "own") for r in ROLES] + [(r, "other") for r in ROLES] + [("admin", "own")]


@pytest.fixture
def scene(app, db_session, world):
    applied = apply_record(db_session, record(), actor=world.users["collector"])
    household = applied.household
    case = open_case(db_session, household, "identification", entry_channel="cadre_check")
    case.state = "village_notice"          # on the notice list
    batch = create_batch(db_session, get_blobs(app), source="vehicles", region_code="150121000000",
                         filename="v.csv", stream=io.BytesIO(f"身份证号码,号牌号码\n{HEAD_ID},蒙A1\n".encode()))
    db_session.flush()
    warning = ComparisonWarning(batch_id=batch.id, household_id=household.id, source="vehicles",
                                exclusion="vehicle", detail={"plate": "蒙A1"}, row_number=2, status="open")
    db_session.add(warning)
    db_session.commit()
    return {"hid": household.id, "cid": case.id, "wid": warning.id, "bid": batch.id, "jid": batch.job_id,
            "uid": world.users["collector"].id}


ALL = ("collector", "village", "township", "county", "admin")
# (method, path, json body, roles allowed, kind) — kind "object": 404 outside; "list": filtered by key
ENDPOINTS = [
    ("GET", "/households/{hid}", None, ALL, "object"),
    ("GET", "/households/{hid}/members", None, ALL, "object"),
    ("GET", "/households/{hid}/versions", None, ALL, "object"),
    ("GET", "/households/{hid}/assessments", None, ALL, "object"),
    ("GET", "/households/{hid}/warnings", None, ALL, "object"),
    ("GET", "/households/{hid}/audit", None, ALL, "object"),
    ("GET", "/households/{hid}/cases", None, ALL, "object"),
    ("POST", "/households/{hid}/cases", {"kind": "identification", "entry_channel": "cadre_check"},
     ("collector", "village", "township", "county"), "object"),
    ("POST", "/households/{hid}/conflict/resolve", None, ("township", "county"), "object"),
    ("GET", "/cases/{cid}", None, ALL, "object"),
    ("POST", "/cases/{cid}/transitions", {"name": "enter_system"}, ("collector", "village", "township", "county"),
     "object"),
    ("POST", "/cases/{cid}/objection", {"raised": False, "note": "无异议"}, ("village", "township"), "object"),
    ("POST", "/comparison/warnings/{wid}/decision", {"status": "overridden", "reason": "车辆已转让"}, ("county",),
     "object"),
    ("GET", "/comparison/imports/{bid}", None, ("county", "admin"), "object"),
    ("GET", "/jobs/{jid}", None, ALL, "county_object"),     # a county-wide job: not for village users
    ("POST", "/rescore", {"region_code": "150121100201"}, ("county", "admin"), "object"),
    ("GET", "/regions/150121100201", None, ALL, "object"),
    ("GET", "/households", None, ALL, "list:id:{hid}"),
    ("GET", "/households?region=150121100201", None, ALL, "object"),
    ("GET", "/comparison/warnings", None, ("township", "county", "admin"), "list:id:{wid}"),
    ("GET", "/comparison/imports", None, ("county", "admin"), "list:id:{bid}"),
    ("GET", "/notices", None, ("village", "township", "county", "admin"), "list:household_id:{hid}"),
    ("GET", "/deadlines/overdue", None, ("village", "township", "county", "admin"), "list"),
    ("GET", "/submissions", None, ALL, "list"),
    ("GET", "/regions", None, ALL, "list:code:150121100201"),
    ("GET", "/users", None, ("county", "admin"), "list"),
    ("POST", "/users", {"username": "x1", "role": "collector", "password": "Longpassw0rd",
                        "region_codes": ["150121100201"]}, ("admin",), "list"),
    ("GET", "/me", None, ALL, "list"),
    ("PUT", "/users/{uid}/regions", {"region_codes": ["150121100201"]}, ("admin",), "object"),
    ("POST", "/regions/import", None, ("admin",), "object"),      # admin without a file: 422
    ("DELETE", "/session", None, ALL, "list:none"),
]


def _user(role, where):
    return "admin" if role == "admin" else (role if where == "own" else f"{role}_other")


@pytest.mark.parametrize("method, path, body, allowed, kind", ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS])
def test_matrix(api, scene, method, path, body, allowed, kind):
    url = path.format(**scene)
    assert api.call(method, url, None, json=body).status_code == 401
    for role, where in USERS:
        user = _user(role, where)
        response = api.call(method, url, user, json=body)
        status = response.status_code
        label = f"{user} {method} {url} -> {status} {response.get_data(as_text=True)[:200]}"
        if role not in allowed:
            assert status == 403, label
            continue
        if kind == "county_object" and role in ("collector", "village", "township"):
            assert status == 404, label
            continue
        if kind in ("object", "county_object"):
            if where == "own":
                assert status not in (401, 403, 404), label
                assert status < 500, label
            else:
                assert status == 404, label
        else:
            assert status in (200, 201, 204), label
            if kind.startswith("list:") and kind != "list:none":
                _, key, value = kind.split(":")
                value = value.format(**scene)
                present = any(str(item.get(key)) == value for item in response.get_json()["items"])
                assert present == (where == "own"), label


def test_collector_sees_only_own_villages(api, db_session, world):
    apply_record(db_session, record())
    apply_record(db_session, record(region_code="150121100202", head_id_number="150121199001010011",
                                    members=[]))
    db_session.commit()
    mine = api.get("/households", "collector").get_json()
    assert [h["region_code"] for h in mine["items"]] == ["150121100201"]
    theirs = api.get("/households", "collector_other").get_json()
    assert [h["region_code"] for h in theirs["items"]] == ["150121100202"]
    township = api.get("/households", "township").get_json()
    assert township["total"] == 2


def test_regions_of_other_county_are_invisible(api, world):
    codes = {r["code"] for r in api.get("/regions?per_page=500", "county").get_json()["items"]}
    assert "150121100201" in codes and "150122100201" not in codes and "150000000000" not in codes
    assert HOME["county"][0] in codes


def test_comparison_import_matrix(api, world):
    def upload(user):
        data = {"source": "vehicles", "region_code": "150121000000",
                "file": (io.BytesIO(f"身份证号码,号牌号码\n{HEAD_ID},蒙A1\n".encode()), "v.csv")}
        return api.post("/comparison/imports", user, data=data, content_type="multipart/form-data")

    assert upload(None).status_code == 401
    for role, where in USERS:
        status = upload(_user(role, where)).status_code
        if role != "county":
            assert status == 403, (role, where, status)
        else:
            assert status == (202 if where == "own" else 404), (role, where, status)
