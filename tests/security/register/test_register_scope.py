"""Issue #12 §1 played as an attacker: writes through submissions are bound to the submitter's regions.

Each attack is processed both step by step and by the register's batch writer (``mode``): the two paths
must hold exactly the same submissions. What is held is kept (201, stored, ``held``), visible to the
township/county staff of the regions it concerns, and decided by them (apply / assign / reject), audited.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.db import session_scope
from server.models import Attachment, SubmissionVersion
from server.register.holds import HeldSubmission
from server.register.models import AuditEntry, Household, HouseholdVersion, Member
from tests.security.register.conftest import (OTHER_TOWNSHIP_VILLAGE, OUTSIDE_VILLAGE, VILLAGE_A, VILLAGE_B, bearer, entity_id, head_id,
                                     instance_id, member_ids, post, process)

MODES = ("steps", "batch")


def _household(app, entity: str) -> dict:  # noqa: ANN001
    with session_scope(app, write=False) as session:
        h = session.scalar(select(Household).where(Household.entity_id == entity))
        return {"id": h.id, "region": h.region_code, "head": h.head_name, "version": h.entity_version,
                "members": sorted(m.id_number for m in h.members)}


def _holds(app) -> list[dict]:  # noqa: ANN001
    with session_scope(app, write=False) as session:
        return [{"id": h.id, "reason": h.reason, "household_id": h.household_id, "matched_by": h.detail["matched_by"],
                 "regions": h.region_codes, "state": h.state, "en": h.message_en, "zh": h.message_zh,
                 "version": h.submission_version_id}
                for h in session.scalars(select(HeldSubmission).order_by(HeldSubmission.id))]


def _states(app) -> dict[str, str]:  # noqa: ANN001
    with session_scope(app, write=False) as session:
        return dict(session.execute(select(SubmissionVersion.instance_id, SubmissionVersion.processing_state)).all())


def _actions(app, action: str) -> list[AuditEntry]:  # noqa: ANN001
    with session_scope(app, write=False) as session:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
        session.expunge_all()
        return rows


def _registered_in_b(app, county, seed: int = 11, photo: bool = False) -> bytes:  # noqa: ANN001
    xml = county.households(VILLAGE_B, seed=seed, photo=photo)[0]
    files = {"authorization-0.jpg": b"\xff\xd8 signed letter of B \xff\xd9"} if photo else None
    assert post(app, county, "cadre_b", xml, files).status_code == 201
    assert process(app, "steps") == {"done": 1}
    return xml



@pytest.mark.parametrize("mode", MODES)
def test_takeover_by_head_id_is_held_and_b_keeps_its_household(app, county, mode):
    b_xml = _registered_in_b(app, county)
    b_before = _household(app, entity_id(b_xml))
    a_xml = county.households(VILLAGE_A, seed=12)[0]
    attack = a_xml.replace(head_id(a_xml).encode(), head_id(b_xml).encode())
    r = post(app, county, "cadre_a", attack)
    assert r.status_code == 201                                   # acknowledged: never lost
    assert process(app, mode) == {"held": 1}
    assert _household(app, entity_id(b_xml)) == b_before          # not moved, not changed
    assert _states(app)[instance_id(attack)] == "held"
    [held] = _holds(app)
    assert held["reason"] == "household_outside_submitter" and held["matched_by"] == "head_id"
    assert held["household_id"] == b_before["id"] and held["regions"] == [VILLAGE_A, VILLAGE_B]
    assert "户主证件号码" in held["zh"] and "outside the submitter's regions" in held["en"]
    [entry] = _actions(app, "submission.hold")
    assert entry.household_id == b_before["id"] and entry.after["reason"] == held["reason"]
    assert head_id(b_xml) not in repr(entry.after)                # no 证件号码 in the audit log
    client = app.test_client()
    hid = b_before["id"]
    a = bearer(app, county, "cadre_a")
    for path in ("", "/versions", "/members", "/audit"):
        assert client.get(f"/api/v1/households/{hid}{path}", headers=a).status_code == 404
    assert client.get(f"/console/households/{hid}/files/authorization-0.jpg", headers=a).status_code == 404
    b = bearer(app, county, "village_b")
    assert client.get(f"/api/v1/households/{hid}", headers=b).status_code == 200
    assert client.get(f"/api/v1/households/{hid}/members", headers=b).json["total"] == len(b_before["members"])


@pytest.mark.parametrize("mode", MODES)
def test_member_of_another_household_is_a_conflict_not_a_move(app, county, mode):
    b_xml = _registered_in_b(app, county)
    b_before = _household(app, entity_id(b_xml))
    spouse = member_ids(b_xml)[1]
    a_xml = county.households(VILLAGE_A, seed=13)[0]
    attack = a_xml.replace(member_ids(a_xml)[1].encode(), spouse.encode())
    assert post(app, county, "cadre_a", attack).status_code == 201
    assert process(app, mode) == {"held": 1}
    assert _household(app, entity_id(b_xml)) == b_before
    [held] = _holds(app)
    assert held["reason"] == "member_in_other_household" and held["household_id"] is None
    assert VILLAGE_B in held["regions"]
    with session_scope(app, write=False) as session:
        assert session.scalar(select(Member.household_id).where(Member.id_number == spouse)) == b_before["id"]
        assert session.scalar(select(Household).where(Household.entity_id == entity_id(attack))) is None


@pytest.mark.parametrize("mode", MODES)
def test_households_outside_the_collectors_or_the_projects_region_are_held(app, county, mode):
    outside = county.households(OUTSIDE_VILLAGE, n=2, seed=14)
    assert post(app, county, "cadre_a", outside[0]).status_code == 201     # not cadre_a's village
    assert post(app, county, "cadre_c", outside[1]).status_code == 201     # cadre_c's, but not the project's
    own = county.households(VILLAGE_A, seed=15)[0]
    assert post(app, county, "cadre_a", own).status_code == 201            # cadre_a's own: applied
    assert process(app, mode) == {"held": 2, "done": 1}
    assert [h["reason"] for h in _holds(app)] == ["record_outside_submitter", "record_outside_project"]
    with session_scope(app, write=False) as session:
        assert session.scalar(select(Household.region_code).where(Household.entity_id == entity_id(own))) == VILLAGE_A
        assert session.scalars(select(Household).where(Household.region_code == OUTSIDE_VILLAGE)).first() is None


@pytest.mark.parametrize("mode", MODES)
def test_entity_update_by_id_of_another_village_is_held(app, county, mode):
    b_xml = _registered_in_b(app, county)
    b_before = _household(app, entity_id(b_xml))
    a_xml = county.households(VILLAGE_A, seed=16)[0]
    attack = a_xml.replace(entity_id(a_xml).encode(), entity_id(b_xml).encode())
    assert post(app, county, "cadre_a", attack).status_code == 201
    assert process(app, mode) == {"held": 1}
    assert _household(app, entity_id(b_xml)) == b_before
    [held] = _holds(app)
    assert held["reason"] == "household_outside_submitter" and held["matched_by"] == "entity"


def test_the_batch_writer_still_writes_what_the_rule_allows(app, county, monkeypatch):
    from server.register import batch
    written: list[int] = []
    real = batch.write_households
    monkeypatch.setattr(batch, "write_households", lambda s, c: written.extend(out := real(s, c)) or out)
    for xml in county.households(VILLAGE_A, n=3, seed=17):
        assert post(app, county, "cadre_a", xml).status_code == 201
    attack = county.households(VILLAGE_B, seed=18)[0]
    assert post(app, county, "cadre_a", attack).status_code == 201
    assert process(app, "batch") == {"done": 3, "held": 1}
    assert len(written) == 3


def test_reviewers_see_and_decide_held_submissions_audited(app, county):
    b_xml = _registered_in_b(app, county)
    hid = _household(app, entity_id(b_xml))["id"]
    a_xml = county.households(VILLAGE_A, n=3, seed=19)
    takeover = a_xml[0].replace(head_id(a_xml[0]).encode(), head_id(b_xml).encode())
    own = a_xml[1]
    by_entity = a_xml[2].replace(entity_id(a_xml[2]).encode(), entity_id(b_xml).encode())
    for xml in (takeover, own, by_entity):
        assert post(app, county, "cadre_a", xml).status_code == 201
    assert process(app, "steps") == {"held": 2, "done": 1}
    first, second = _holds(app)
    client = app.test_client()
    # collectors and village staff do not review; another township sees nothing
    assert client.get("/api/v1/held-submissions", headers=bearer(app, county, "cadre_a")).status_code == 403
    other = bearer(app, county, "township_other")
    assert client.get("/api/v1/held-submissions", headers=other).json["total"] == 0
    assert client.get(f"/api/v1/held-submissions/{first['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/held-submissions/{first['id']}/apply", json={},
                       headers=other).status_code == 404
    township = bearer(app, county, "township_ab")
    listed = client.get("/api/v1/held-submissions", headers=township).json
    assert [h["id"] for h in listed["items"]] == [first["id"], second["id"]]
    detail = client.get(f"/api/v1/held-submissions/{first['id']}", headers=township).json
    assert detail["submitter"] == "cadre_a" and detail["record"]["head_id_number"] == head_id(b_xml)
    # reject needs a reason; then it is final
    assert client.post(f"/api/v1/held-submissions/{first['id']}/reject", json={},
                       headers=township).status_code == 422
    r = client.post(f"/api/v1/held-submissions/{first['id']}/reject", json={"note": "冒用他户证件号码"},
                    headers=township)
    assert r.status_code == 200 and r.json["state"] == "rejected"
    assert client.post(f"/api/v1/held-submissions/{first['id']}/apply", json={},
                       headers=township).status_code == 409
    assert _states(app)[instance_id(takeover)] == "rejected"
    assert _household(app, entity_id(b_xml))["version"] == 1
    # assign the entity update to cadre_a's own household instead: applied there, which keeps its region
    own_id = _household(app, entity_id(own))["id"]
    r = client.post(f"/api/v1/held-submissions/{second['id']}/assign", json={"household_id": own_id},
                    headers=township)
    assert r.status_code == 200, r.json
    assert r.json["state"] == "assigned" and r.json["result_household_id"] == own_id
    after = _household(app, entity_id(own))
    assert after["version"] == 2 and after["region"] == VILLAGE_A
    assert _household(app, entity_id(b_xml))["version"] == 1
    assert _states(app)[instance_id(by_entity)] == "done"
    with session_scope(app, write=False) as session:
        assert session.scalar(select(HouseholdVersion.household_id).where(
            HouseholdVersion.submission_version_id == second["version"])) == own_id
    assert [e.after["state"] for e in _actions(app, "submission.reject")] == ["rejected"]
    [assigned] = _actions(app, "submission.assign")
    assert assigned.actor == "township_ab" and assigned.household_id == own_id


def test_a_reviewer_applies_a_held_member_move_audited(app, county):
    b_xml = _registered_in_b(app, county)
    b_id = _household(app, entity_id(b_xml))["id"]
    spouse = member_ids(b_xml)[1]
    a_xml = county.households(VILLAGE_A, seed=20)[0]
    moved = a_xml.replace(member_ids(a_xml)[1].encode(), spouse.encode())
    assert post(app, county, "cadre_a", moved).status_code == 201
    assert process(app, "steps") == {"held": 1}
    [held] = _holds(app)
    client = app.test_client()
    r = client.post(f"/api/v1/held-submissions/{held['id']}/apply", json={"note": "已核实：婚后迁入"},
                    headers=bearer(app, county, "county_staff"))
    assert r.status_code == 200 and r.json["state"] == "applied"
    new = _household(app, entity_id(moved))
    assert new["region"] == VILLAGE_A and spouse in new["members"]
    with session_scope(app, write=False) as session:
        moves = list(session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "member",
                                                              AuditEntry.household_id == new["id"])))
        assert moves and moves[0].before == {"household_id": b_id} and moves[0].actor == "county_staff"
    [applied] = _actions(app, "submission.apply")
    assert applied.actor == "county_staff" and applied.after["household_id"] == new["id"]


# -- evidence ---------------------------------------------------------------------------------------------------

PHOTO = "authorization-0.jpg"


def _photo_sha(app, xml: bytes) -> str | None:  # noqa: ANN001
    with session_scope(app, write=False) as session:
        return session.scalar(select(Attachment.sha256).join(SubmissionVersion).where(
            SubmissionVersion.instance_id == instance_id(xml), Attachment.name == PHOTO))


def test_another_collector_cannot_swap_the_authorization_photo(app, county):
    xml = _registered_in_b(app, county, photo=True)
    original = _photo_sha(app, xml)
    r = post(app, county, "cadre_a", xml, {PHOTO: b"\xff\xd8 forged \xff\xd9"})
    assert r.status_code == 403
    assert b"<OpenRosaResponse" in r.data and b"original submitter" in r.data
    assert _photo_sha(app, xml) == original
    [refused] = _actions(app, "attachment.refused")
    assert refused.after["why"] == "not_submitter" and refused.actor == "cadre_a"
    assert refused.household_id == _household(app, entity_id(xml))["id"]
    # the same file again, by anyone, stays idempotent
    assert post(app, county, "cadre_a", xml, {PHOTO: b"\xff\xd8 signed letter of B \xff\xd9"}).status_code == 201


def test_only_the_submitter_adds_a_missing_attachment_and_none_is_replaced_after_authorization(app, county):
    xml = county.households(VILLAGE_B, seed=21, photo=True)[0]
    assert post(app, county, "cadre_b", xml).status_code == 201           # split upload: photo to follow
    assert process(app, "steps") == {"done": 1}
    assert _photo_sha(app, xml) is None
    assert post(app, county, "cadre_a", xml, {PHOTO: b"\xff\xd8 A's \xff\xd9"}).status_code == 403
    assert _photo_sha(app, xml) is None
    assert post(app, county, "cadre_b", xml, {PHOTO: b"\xff\xd8 B's \xff\xd9"}).status_code == 201
    added = _photo_sha(app, xml)
    assert added is not None
    [entry] = _actions(app, "attachment.add")
    assert entry.actor == "cadre_b" and entry.after == {"name": PHOTO, "sha256": added}
    # the authorization step is taken: from now on the photo is evidence
    from server.register.evidence import authorization_steps
    from server.register.models import WorkflowCase, WorkflowStep
    from datetime import date
    procedure, transition = next(s for s in authorization_steps() if s[1] == "authorize")
    with session_scope(app) as session:
        hid = session.scalar(select(Household.id).where(Household.entity_id == entity_id(xml)))
        case = WorkflowCase(household_id=hid, kind="identification", procedure=procedure, state="authorized")
        case.steps.append(WorkflowStep(transition=transition, from_state="visited", to_state="authorized",
                                       role="collector", on=date(2021, 6, 2)))
        session.add(case)
    r = post(app, county, "cadre_b", xml, {PHOTO: b"\xff\xd8 a nicer photo \xff\xd9"})
    assert r.status_code == 409 and b"<OpenRosaResponse" in r.data
    assert _photo_sha(app, xml) == added
    assert [e.after["why"] for e in _actions(app, "attachment.refused")] == ["not_submitter", "authorization_taken"]
    # nor by an edit that brings another file under the same name
    edit = xml.replace(instance_id(xml).encode(), b"uuid:00000000-0000-4000-8000-00000000e0e0").replace(
        b"</meta>", f"<deprecatedID>{instance_id(xml)}</deprecatedID></meta>".encode())
    assert post(app, county, "cadre_b", edit, {PHOTO: b"\xff\xd8 swapped in an edit \xff\xd9"}).status_code == 409


# -- console ----------------------------------------------------------------------------------------------------

def _console(app, county, name: str):  # noqa: ANN001, ANN202
    """A console client logged in as ``name`` (a server-side console session in the cookie)."""
    from server.api.auth import COOKIE_KEY
    from server.auth import sessions
    from server.models import User
    client = app.test_client()
    with session_scope(app) as session:
        secret = sessions.start(session, session.get(User, county.users[name]), "console", hours=1)
    with client.session_transaction() as cookie:
        cookie[COOKIE_KEY], cookie["csrf"] = secret, "t0ken"
    return client


def test_console_lists_held_submissions_and_records_decisions(app, county):
    b_xml = _registered_in_b(app, county)
    a_xml = county.households(VILLAGE_A, seed=22)[0]
    attack = a_xml.replace(head_id(a_xml).encode(), head_id(b_xml).encode())
    assert post(app, county, "cadre_a", attack).status_code == 201
    assert process(app, "steps") == {"held": 1}
    [held] = _holds(app)
    township = _console(app, county, "township_ab")
    page = township.get("/console/held").get_data(as_text=True)
    assert "按户主证件号码匹配到的农户不在提交人的负责区域内" in page and "cadre_a" in page
    assert head_id(b_xml) not in page                               # no 证件号码 on the list
    assert "outside the submitter" in township.get("/console/held?lang=en").get_data(as_text=True)
    hid = _household(app, entity_id(b_xml))["id"]
    household_page = township.get(f"/console/households/{hid}").get_data(as_text=True)
    assert "1 held submission(s) concern this household" in household_page
    assert "cadre_a" in township.get(f"/console/held?household_id={hid}").get_data(as_text=True)
    assert "cadre_a" not in township.get(f"/console/held?household_id={hid + 1}").get_data(as_text=True)
    other = _console(app, county, "township_other")
    assert "cadre_a" not in other.get("/console/held").get_data(as_text=True)
    assert other.post(f"/console/held/{held['id']}/decision",
                      data={"decision": "reject", "note": "x", "csrf_token": "t0ken"}).status_code == 404
    assert _console(app, county, "cadre_a").get("/console/held").status_code == 403
    r = township.post(f"/console/held/{held['id']}/decision",
                      data={"decision": "reject", "note": "冒用证件号码", "csrf_token": "t0ken"})
    assert r.status_code == 302
    assert _holds(app)[0]["state"] == "rejected" and _states(app)[instance_id(attack)] == "rejected"
    [entry] = _actions(app, "submission.reject")
    assert entry.actor == "township_ab"


def test_reprocessing_a_held_version_applies_it_once_allowed_and_a_rejected_one_stays_rejected(app, county):
    from server.ingest import process_version
    from server.models import UserRegion
    a_xml = county.households(VILLAGE_B, n=2, seed=23)
    for xml in a_xml:
        assert post(app, county, "cadre_a", xml).status_code == 201     # village B: not cadre_a's (yet)
    assert process(app, "steps") == {"held": 2}
    first, second = _holds(app)
    client = app.test_client()
    r = client.post(f"/api/v1/held-submissions/{second['id']}/reject", json={"note": "重复"},
                    headers=bearer(app, county, "township_ab"))
    assert r.status_code == 200
    with session_scope(app) as session:                                 # the admin moves cadre_a to village B
        session.add(UserRegion(user_id=county.users["cadre_a"], region_code=VILLAGE_B))
    assert process_version(app, first["version"]) == "held"             # settled: not run again by itself
    assert process_version(app, first["version"], force=True) == "done"
    assert process_version(app, second["version"], force=True) == "rejected"
    assert [h["state"] for h in _holds(app)] == ["applied", "rejected"]
    assert _household(app, entity_id(a_xml[0]))["region"] == VILLAGE_B
    with session_scope(app, write=False) as session:
        assert session.scalar(select(Household).where(Household.entity_id == entity_id(a_xml[1]))) is None
    [entry] = _actions(app, "submission.apply")
    assert entry.actor == "system" and entry.after["reprocessed"] is True


def test_a_reviewer_sees_what_touches_their_township_but_decides_only_within_it(app, county):
    d_xml = county.households(OTHER_TOWNSHIP_VILLAGE, seed=24)[0]
    assert post(app, county, "cadre_d", d_xml).status_code == 201
    assert process(app, "steps") == {"done": 1}
    a_xml = county.households(VILLAGE_A, seed=25)[0]
    moved = a_xml.replace(member_ids(a_xml)[1].encode(), member_ids(d_xml)[1].encode())
    assert post(app, county, "cadre_a", moved).status_code == 201
    assert process(app, "steps") == {"held": 1}
    [held] = _holds(app)
    assert held["regions"] == [VILLAGE_A, OTHER_TOWNSHIP_VILLAGE]
    client = app.test_client()
    for township in ("township_ab", "township_other"):
        headers = bearer(app, county, township)
        assert client.get(f"/api/v1/held-submissions/{held['id']}", headers=headers).status_code == 200
        r = client.post(f"/api/v1/held-submissions/{held['id']}/apply", json={}, headers=headers)
        assert r.status_code == 403 and r.json["code"] == "hold.scope"
    county_staff = bearer(app, county, "county_staff")
    r = client.post(f"/api/v1/held-submissions/{held['id']}/apply", json={}, headers=county_staff)
    assert r.status_code == 200
    assert member_ids(d_xml)[1] in _household(app, entity_id(moved))["members"]
    assert member_ids(d_xml)[1] not in _household(app, entity_id(d_xml))["members"]


def test_the_register_step_asks_the_rule_itself_when_no_score_step_ran(app, county):
    """Defence in depth: a pipeline without the score step (a plugin's) still holds the takeover."""
    from server.register.ingest_steps import apply_to_register
    from server.ingest_steps import parse_instance
    b_xml = _registered_in_b(app, county)
    a_xml = county.households(VILLAGE_A, seed=26)[0]
    attack = a_xml.replace(head_id(a_xml).encode(), head_id(b_xml).encode())
    assert post(app, county, "cadre_a", attack).status_code == 201
    from server import ingest
    with app.app_context():
        vid = _session_version(app, attack)
        assert ingest.process_version(app, vid, steps=[parse_instance, apply_to_register]) == "held"
    assert _household(app, entity_id(b_xml))["version"] == 1
    assert _holds(app)[0]["reason"] == "household_outside_submitter"


def _session_version(app, xml: bytes) -> int:  # noqa: ANN001
    with session_scope(app, write=False) as session:
        return session.scalar(select(SubmissionVersion.id).where(SubmissionVersion.instance_id == instance_id(xml)))
