"""The register's batch writer: score + register for the new households of a claimed batch at once.

A PostgreSQL processor claims a batch of pending versions (server/ingest.py: `run_batch`). After
parsing, the versions whose record creates a new household — none is found by entity UUID, 户编号 or
the head's 证件号码, none of its members is in the register, its region exists, it is no
self-declaration, and no earlier version of the batch names any of its keys — are scored and written
together with one multi-row INSERT per table (households, versions, members, assessments, audit
log) and one executemany UPDATE (each household's current version, assessment and category).
The rows are those the step-by-step path (`ingest_steps.score` + `apply_to_register`) writes
(tests/server/register/test_batch.py compares them); every other version is left to that path.
"""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from scoring.idcard import is_placeholder

from .assessing import policy_year, summary
from .comparison import normalize_id
from .households import _META, _bare_uuid, merge_record
from .ingest_steps import _entity, _household_record
from .models import Assessment, AuditEntry, Household, HouseholdVersion, Member

STEP_NAMES = ("score", "register")


class _New:
    """One version that creates a household, with everything its rows need."""

    __slots__ = ("ctx", "record", "merged", "entity_id", "household_no", "base_version", "members",
                 "result", "policy", "unscored", "score_ms", "household_id", "version_id", "assessment_id")

    def __init__(self, ctx: Any, record: dict, merged: dict, entity_id: str, base_version: int | None) -> None:
        self.ctx, self.record, self.merged, self.entity_id = ctx, record, merged, entity_id
        self.household_no = record.get("household_no") or None
        self.base_version = base_version
        self.members = _members(merged)
        self.result = self.policy = self.unscored = None
        self.score_ms = 0.0


def _members(merged: dict) -> dict[str, tuple[int, dict]] | None:
    """证件号码 → (position, data), in first-seen order, last occurrence winning (as `_sync_members`)."""
    members = merged.get("members")
    if members is None:
        return None
    out: dict[str, tuple[int, dict]] = {}
    for position, data in enumerate(members):
        id_number = normalize_id(data.get("id_number"))
        if not id_number or is_placeholder(id_number):
            continue
        out[id_number] = (position, data)
    return out


def _keys(record: dict, entity: dict) -> tuple[str | None, str | None, str | None, list[str]]:
    """What the register looks a record up by: entity UUID, 户编号, head's 证件号码, members' 证件号码."""
    entity_id = _bare_uuid(entity.get("id") or record.get("entity_id"))
    members = [i for i in (normalize_id(m.get("id_number")) for m in (record.get("members") or []))
               if i and not is_placeholder(i)]
    return entity_id, record.get("household_no") or None, normalize_id(record.get("head_id_number")), members


def write_new_households(session: Session, ctxs: list) -> dict[int, list[dict]]:
    """Score and register the versions of `ctxs` that create new households; returns the step log
    entries of each version written, by version id. The others are not touched."""
    import scoring

    from server.models import Region, User
    from server.policies import policy_for

    started = time.perf_counter()
    candidates: list[tuple[Any, dict, dict, tuple]] = []
    seen: set[str] = set()        # every key named by an earlier version of the batch
    for ctx in ctxs:
        record = _household_record(ctx)
        if record is None:
            continue
        entity = _entity(ctx)
        keys = _keys(record, entity)
        entity_id, household_no, head, members = keys
        named = {k for k in (f"e:{entity_id}" if entity_id else None, f"n:{household_no}" if household_no else None,
                             f"m:{head}" if head else None) if k} | {f"m:{m}" for m in members}
        clash = bool(named & seen)
        seen |= named
        if clash or not entity_id or record.get("self_declaration") or not record.get("region_code"):
            continue
        candidates.append((ctx, record, entity, keys))
    if not candidates:
        return {}

    conn = session.connection()
    households = Household.__table__
    entity_ids = [keys[0] for *_, keys in candidates]
    numbers = [keys[1] for *_, keys in candidates if keys[1]]
    found = conn.execute(select(households.c.entity_id, households.c.household_no, households.c.key).where(or_(
        households.c.entity_id.in_(entity_ids),
        households.c.household_no.in_(numbers or [""]),
        households.c.key.in_(numbers + [f"entity:{e}" for e in entity_ids])))).all()
    taken = {f"e:{e}" for e, _, _ in found} | {f"n:{n}" for _, n, _ in found if n} | {f"k:{k}" for *_, k in found}
    ids = {m for *_, keys in candidates for m in ([keys[2]] if keys[2] else []) + keys[3]}
    known = set(conn.scalars(select(Member.id_number).where(Member.id_number.in_(ids)))) if ids else set()
    regions = {ctx_record[1]["region_code"] for ctx_record in candidates}
    existing_regions = set(conn.scalars(select(Region.code).where(Region.code.in_(regions))))
    submitters = {ctx.version.submitter_id for ctx, *_ in candidates if ctx.version.submitter_id}
    actors = {uid: name for uid, name in conn.execute(select(User.id, User.username).where(User.id.in_(submitters)))} \
        if submitters else {}

    new: list[_New] = []
    for ctx, record, entity, (entity_id, household_no, head, members) in candidates:
        if (f"e:{entity_id}" in taken or (household_no and (f"n:{household_no}" in taken or f"k:{household_no}" in taken))
                or f"k:entity:{entity_id}" in taken or (head and head in known) or any(m in known for m in members)
                or record["region_code"] not in existing_regions):
            continue
        t0 = time.perf_counter()
        base = entity.get("base_version")
        item = _New(ctx, record, merge_record(None, record), entity_id, None if base is None else int(base))
        region = item.merged.get("region_code")
        try:
            item.policy = policy_for(session, region, policy_year(item.merged, None))
            item.result = scoring.assess(dict(item.merged), item.policy, None, None).to_dict()
        except scoring.PolicyNotFound as exc:
            item.policy, item.unscored = None, str(exc)
        except Exception:  # noqa: BLE001 — the step-by-step path runs it again and records the failure
            continue
        item.score_ms = (time.perf_counter() - t0) * 1000
        new.append(item)
    if not new:
        return {}

    write_started = time.perf_counter()
    now = _now()
    rows = []
    for item in new:
        rows.append({"entity_id": item.entity_id, "key": item.household_no or f"entity:{item.entity_id}",
                     "household_no": item.household_no, "region_code": item.record["region_code"],
                     "entity_version": 1, "head_name": item.record.get("head_name") or "",
                     "household_type": item.record.get("household_type") or None, "updated_at": now})
    for item, household_id in zip(new, _insert(conn, households, rows)):
        item.household_id = household_id

    versions = HouseholdVersion.__table__
    rows = [{"household_id": item.household_id, "number": 1, "record": item.merged,
             "submission_version_id": item.ctx.version.id,
             "form_id": item.ctx.form.xml_form_id or item.record.get("form_id"),
             "base_version": item.base_version, "conflict": None, "conflict_fields": []} for item in new]
    for item, version_id in zip(new, _insert(conn, versions, rows)):
        item.version_id = version_id

    rows = [{"household_id": item.household_id, "id_number": id_number, "name": data.get("name") or "",
             "relation": data.get("relation"), "position": position, "active": True, "data": dict(data)}
            for item in new if item.members for id_number, (position, data) in item.members.items()]
    if rows:
        conn.execute(insert(Member.__table__), rows)

    scored = [item for item in new if item.result is not None]
    facts = {id(item): summary(item.result) for item in scored}
    if scored:
        rows = [{"household_id": item.household_id, "household_version_id": item.version_id,
                 "policy_region": item.policy.region_code, "policy_year": item.policy.year,
                 "policy_version": str(item.policy.version), "category": facts[id(item)]["category"],
                 "eligible": facts[id(item)]["eligible"],
                 "elimination_eligible": facts[id(item)]["elimination_eligible"], "result": item.result,
                 "job_id": None} for item in scored]
        for item, assessment_id in zip(scored, _insert(conn, Assessment.__table__, rows)):
            item.assessment_id = assessment_id
        updated = _now()
        conn.execute(update(households).where(households.c.id == bindparam("_id")).values(
            current_version_id=bindparam("_version"), current_assessment_id=bindparam("_assessment"),
            category=bindparam("_category"), updated_at=bindparam("_updated")),
            [{"_id": item.household_id, "_version": item.version_id, "_assessment": item.assessment_id,
              "_category": facts[id(item)]["category"],   # a new household is "registered": undecided
              "_updated": updated} for item in scored])
    unscored = [item for item in new if item.result is None]
    if unscored:
        conn.execute(update(households).where(households.c.id == bindparam("_id")).values(
            current_version_id=bindparam("_version")),
            [{"_id": item.household_id, "_version": item.version_id} for item in unscored])

    rows = []
    for item in new:
        actor_id = item.ctx.version.submitter_id
        actor_id = actor_id if actor_id in actors else None
        who = {"actor_id": actor_id, "actor": actors.get(actor_id) or "system",
               "household_id": item.household_id, "region_code": item.record["region_code"]}
        changed = sorted(k for k in item.record if k not in _META and item.record.get(k) is not None)
        rows.append({**who, "action": "household.create", "entity_type": "household",
                     "entity_id": str(item.household_id), "before": None,
                     "after": {"version": 1, "changed": changed, "submission_version_id": item.ctx.version.id}})
        if item.result is not None:
            f = facts[id(item)]
            rows.append({**who, "action": "assessment.create", "entity_type": "assessment",
                         "entity_id": str(item.assessment_id), "before": {"category": None},
                         "after": {"category": f["category"], "scored_category": f["category"],
                                   "eligible": f["eligible"], "policy_version": str(item.policy.version),
                                   "policy_year": item.policy.year, "job_id": None}})
        else:
            rows.append({**who, "action": "assessment.create", "entity_type": "household_version",
                         "entity_id": str(item.version_id), "before": None,
                         "after": {"unscored": item.unscored}})
    conn.execute(insert(AuditEntry.__table__), rows)

    # the batch's shared work (look-ups, statements) is spread evenly over its versions
    shared_ms = ((write_started - started) * 1000 - sum(i.score_ms for i in new)
                 + (time.perf_counter() - write_started) * 1000) / len(new)
    return {item.ctx.version.id: [{"step": "score", "status": "ok", "ms": round(item.score_ms, 1)},
                                  {"step": "register", "status": "ok", "ms": round(shared_ms, 1)}]
            for item in new}


write_new_households.step_names = STEP_NAMES


def _insert(conn, table, rows: list[dict]) -> list[int]:  # noqa: ANN001
    """A multi-row INSERT … RETURNING id; ids in the order of `rows`."""
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result]


def _now():  # noqa: ANN202
    from server.models.base import utcnow
    return utcnow()
