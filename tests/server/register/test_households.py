"""Applying records to the register: versions, members, entity conflicts, assessments, audit."""
import pytest
from sqlalchemy import select, text

from server.register.assessing import assess_version
from server.register.households import apply_record, classify_conflict, merge_record
from server.register.models import AuditEntry, Household, HouseholdVersion, Member
from tests.server.register.world import CHILD_ID, HEAD_ID, record


def test_new_household_gets_internal_key_members_and_first_version(db_session, world):
    applied = apply_record(db_session, record(), submission_version_id=None, actor=world.users["collector"])
    db_session.commit()
    h = applied.household
    assert applied.created and h.key == f"entity:{h.entity_id}" and h.household_no is None
    assert h.entity_version == 1 and applied.version.number == 1
    assert sorted(m.id_number for m in h.members) == sorted([HEAD_ID, CHILD_ID, "150121198207080028"])
    actions = [e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.household_id == h.id))]
    assert actions == ["household.create"]


def test_national_number_becomes_the_key_and_is_found_again(db_session, world):
    first = apply_record(db_session, record(household_no="150121100201010001"))
    again = apply_record(db_session, record(head_id_number="", household_no="150121100201010001", phone="1"))
    assert again.household.id == first.household.id and not again.created
    assert first.household.key == "150121100201010001" and again.version.number == 2


def test_follow_up_update_merges_and_accumulates_measures(db_session, world):
    first = apply_record(db_session, record(measures=[{"measure": "industry", "date": "2021-02-01",
                                                         "amount": 2000, "note": None}]))
    entity = {"id": first.household.entity_id, "base_version": 1}
    follow_up = {"form_id": "followup_visit", "measures": [{"measure": "employment", "date": "2021-03-01",
                                                           "amount": None, "note": None}],
                 "spending": {"medical": 3000}}
    applied = apply_record(db_session, follow_up, entity=entity)
    rec = applied.version.record
    assert applied.conflict is None and applied.household.entity_version == 2
    assert [m["measure"] for m in rec["measures"]] == ["industry", "employment"]
    assert rec["spending"]["medical"] == 3000 and rec["spending"]["education"] == 0
    assert len(rec["members"]) == 3


def test_stale_base_version_is_flagged_soft_or_hard_and_never_dropped(db_session, world):
    first = apply_record(db_session, record())
    eid = first.household.entity_id
    apply_record(db_session, {"phone": "13900000000"}, entity={"id": eid, "base_version": 1})
    soft = apply_record(db_session, {"address": "甲村二组"}, entity={"id": eid, "base_version": 1})
    assert soft.conflict == "soft" and soft.version.record["address"] == "甲村二组"
    hard = apply_record(db_session, {"phone": "13700000000"}, entity={"id": eid, "base_version": 1})
    assert hard.conflict == "hard" and hard.version.conflict_fields == ["phone"]
    assert hard.version.record["phone"] == "13700000000"      # applied, as Central does
    assert hard.household.conflict == "hard" and hard.household.entity_version == 4
    db_session.commit()
    conflicts = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "household.conflict")).all()
    assert [c.after["conflict"] for c in conflicts] == ["soft", "hard"]


def test_classify_conflict_directly():
    base = {"phone": "1", "income": {"wage": {"migrant_work": 1}}}
    current = {"phone": "1", "income": {"wage": {"migrant_work": 2}}}
    assert classify_conflict(base, current, {"phone": "3"}) == ("soft", [])
    assert classify_conflict(base, current, {"income": {"wage": {"migrant_work": 5}}}) == \
        ("hard", ["income.wage.migrant_work"])
    assert classify_conflict(base, current, {"income": {"wage": {"migrant_work": 2}}}) == ("soft", [])
    assert classify_conflict(base, base, {"phone": "9"}) == (None, [])


def test_merge_keeps_unasked_fields():
    assert merge_record({"a": 1, "g": {"x": 1, "y": 2}}, {"g": {"y": 3}, "b": None}) == {"a": 1, "g": {"x": 1, "y": 3}}


def test_member_leaving_is_kept_inactive_and_moving_member_follows(db_session, world):
    first = apply_record(db_session, record())
    rec = record()
    child = rec["members"].pop()
    apply_record(db_session, {"members": rec["members"], "people_count": 2},
                 entity={"id": first.household.entity_id, "base_version": 1})
    other = record(head_name="王小明", head_id_number=CHILD_ID, members=[dict(child, relation="head")],
                   people_count=1)
    other["entity_id"] = None
    second = apply_record(db_session, dict(other, household_no="X-2"))
    db_session.commit()
    moved = db_session.scalar(select(Member).where(Member.id_number == CHILD_ID))
    assert moved.household_id == second.household.id and moved.active


def test_unknown_region_is_refused(db_session, world):
    from server.register.households import RegisterError
    with pytest.raises(RegisterError):
        apply_record(db_session, record(region_code="999999999999"))


def test_assessment_is_stored_with_policy_version(db_session, world):
    applied = apply_record(db_session, record(survey_date="2021-06-10"))
    assessment = assess_version(db_session, applied.household, applied.version)
    db_session.commit()
    assert assessment.policy_year == 2021 and assessment.policy_version
    assert assessment.result["floor"] == 6000
    assert applied.household.category == assessment.category == assessment.result["category"]
    assert assessment.eligible is (assessment.category is not None)


def test_audit_log_is_append_only(db_session, world):
    apply_record(db_session, record())
    db_session.commit()
    entry = db_session.scalars(select(AuditEntry)).first()
    entry.action = "login"
    with pytest.raises(PermissionError):
        db_session.flush()
    db_session.rollback()
    with pytest.raises(Exception):
        db_session.execute(text("UPDATE audit_log SET action = 'login'"))
        db_session.commit()
    db_session.rollback()
    assert db_session.scalar(select(HouseholdVersion.number)) == 1
    assert db_session.scalars(select(Household)).one().status == "registered"


def test_placeholder_id_numbers_get_no_member_row(db_session, world):
    rec = record()
    rec["members"][2]["id_number"] = "999999200505060031"
    other = record(head_id_number="150121197001010013", household_no="H-9")
    other["members"] = [dict(rec["members"][2], relation="head")]
    first = apply_record(db_session, rec)
    second = apply_record(db_session, other)
    db_session.commit()
    assert len(first.household.members) == 2 and second.household.members == []


def test_category_is_kept_once_identified(db_session, world):
    applied = apply_record(db_session, record(survey_date="2021-03-01"))
    first = assess_version(db_session, applied.household, applied.version)
    assert applied.household.category == first.category == "marginal"
    applied.household.status = "monitored"
    richer = record(survey_date="2021-06-01", spending={"education": 0, "medical": 0, "housing": 0, "water": 0,
                                                        "disaster_loss": 0})
    richer["income"]["wage"]["migrant_work"] = 40000
    later = apply_record(db_session, richer, entity={"id": applied.household.entity_id, "base_version": 1})
    second = assess_version(db_session, later.household, later.version)
    assert second.category is None and later.household.category == "marginal"
