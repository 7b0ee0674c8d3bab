"""The region rule on plain values (server/register/guard.py) and the authorization steps that make
attachments evidence (server/register/evidence.py)."""
from __future__ import annotations

from types import SimpleNamespace

from server.register.evidence import authorization_steps
from server.register.guard import Submitter, check, matched_by

A, B, OUT = "150121100201", "150121100202", "150122100201"
PROJECT = "150121000000"


def _check(who: Submitter, **kw):  # noqa: ANN003, ANN202
    values = {"project_region": PROJECT, "record_region": A, "household_id": None, "household_region": None,
              "matched": None}
    values.update(kw)
    return check(who, **values)


def test_a_collector_writes_in_its_villages_only():
    cadre = Submitter("collector", (A,))
    assert _check(cadre) is None
    assert _check(cadre, household_id=7, household_region=A, matched="entity") is None
    held = _check(cadre, record_region=B)
    assert held.reason == "record_outside_submitter" and held.regions == [B]
    held = _check(cadre, household_id=7, household_region=B, matched="head_id")
    assert held.reason == "household_outside_submitter" and held.regions == [A, B]
    assert "户主证件号码" in held.zh and "the head's ID number" in held.en


def test_the_project_region_binds_every_role_even_admin():
    assert _check(Submitter("admin"), record_region=OUT).reason == "record_outside_project"
    both = Submitter("collector", (A, OUT))
    assert _check(both, record_region=OUT).reason == "record_outside_project"
    assert _check(both, household_id=3, household_region=OUT).reason == "household_outside_project"
    assert _check(both, record_region=OUT, ignore_project=True) is None     # a reviewer's decision


def test_a_member_of_another_household_is_held_even_in_the_same_village():
    cadre = Submitter("collector", (A,))
    held = _check(cadre, others=[(9, A)])
    assert held.reason == "member_in_other_household" and held.others == ((9, A),)
    assert "1" in held.zh and held.to_detail()["other_households"] == [{"household_id": 9, "region_code": A}]
    township = Submitter("township", ("150121100000",))
    assert _check(township, others=[(9, B)], ignore_members=True) is None
    assert _check(Submitter("village", (A,)), others=[(9, B)], ignore_members=True).reason == \
        "member_in_other_household"


def test_a_submission_without_a_user_is_bound_by_the_project_only():
    assert _check(Submitter(None), record_region=B) is None
    assert _check(Submitter(None), record_region=OUT).reason == "record_outside_project"


def test_matched_by_follows_the_look_up_order():
    h = SimpleNamespace(entity_id="e1", household_no="N1")
    assert matched_by({"household_no": "N1"}, "e1", h) == "entity"
    assert matched_by({"household_no": "N1"}, None, h) == "household_no"
    assert matched_by({}, None, h) == "head_id"
    assert matched_by({}, None, None) is None


def test_authorization_steps_are_those_guarded_by_the_signed_letter():
    steps = dict(authorization_steps())
    assert steps["identification_im8"] == "authorize"
    assert ("identification_simplified", "visit") in authorization_steps()
    assert all(t not in ("township_verify", "county_approve") for _p, t in authorization_steps())
