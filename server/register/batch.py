"""The register's batch writer: score + register for a processor's claimed batch at once.

A PostgreSQL processor claims a batch of pending versions (server/ingest.py: `run_batch`). After
parsing, the versions this module covers are scored and written together: one look-up per table for
the whole batch (households locked FOR UPDATE, members, current versions, recent assessments), one
multi-row INSERT per table (households, versions, members, assessments, audit log) and one executemany
UPDATE per table (households, members). Covered: a record that creates a household (none found by
entity UUID, 户编号 or the head's 证件号码; none of its members registered elsewhere; its region exists)
and a record that updates one (no entity conflict — `baseVersion` not behind —, no member moving in
from another household, no county override of a department warning on it) — in both cases only where
the region rule lets its submitter write (server/register/guard.py; the others are held step by step).
Not covered, left to the step-by-step path (`ingest_steps.score` + `apply_to_register`): self-declarations, failures, and any
version whose keys (entity, 户编号, 证件号码) or household an earlier version of the batch also names.
The rows are those the step-by-step path writes (tests/server/register/test_batch.py compares them).
"""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from scoring.idcard import is_placeholder
from server.bulk import insert_rows, update_rows

from .assessing import UNDECIDED, policy_year, summary
from .comparison import normalize_id
from .households import _COLUMNS, _META, _bare_uuid, merge_record
from .ingest_steps import _entity, _household_record
from .models import Assessment, AuditEntry, ComparisonWarning, Household, HouseholdVersion, Member

STEP_NAMES = ("score", "register")


class _Item:
    """One version the writer covers, with everything its rows need."""

    def __init__(self, ctx: Any, record: dict, entity: dict, entity_id: str | None, household: Any) -> None:
        self.ctx, self.record, self.entity_id, self.household = ctx, record, entity_id, household
        base = entity.get("base_version")
        self.base_version = None if base is None else int(base)
        self.current: dict | None = None     # the household's current record (updates)
        self.merged: dict = {}
        self.result = self.policy = self.unscored = None
        self.score_ms = 0.0
        self.household_id = household.id if household is not None else None
        self.version_id = self.assessment_id = None
        self.number = 1
        self.existing: list = []             # the household's member rows (updates)


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


def write_households(session: Session, ctxs: list) -> dict[int, list[dict]]:
    """Score and register the versions of `ctxs` this writer covers; returns the step log entries of each
    version written, by version id. The others are not touched."""
    import scoring

    from server.models import Region, User
    from server.policies import policy_for

    started = time.perf_counter()
    pre = []
    for ctx in ctxs:
        record = _household_record(ctx)
        if record is None:
            continue
        entity = _entity(ctx)
        entity_id = _bare_uuid(entity.get("id") or record.get("entity_id"))
        members = [i for i in (normalize_id(m.get("id_number")) for m in (record.get("members") or []))
                   if i and not is_placeholder(i)]
        pre.append((ctx, record, entity, entity_id, record.get("household_no") or None,
                    normalize_id(record.get("head_id_number")), members))
    if not pre:
        return {}

    conn = session.connection()
    households, members_t = Household.__table__, Member.__table__
    ids = {m for *_, head, members in pre for m in ([head] if head else []) + members}
    member_home = dict(conn.execute(select(members_t.c.id_number, members_t.c.household_id)
                                    .where(members_t.c.id_number.in_(ids))).all()) if ids else {}
    entity_ids = [p[3] for p in pre if p[3]]
    numbers = [p[4] for p in pre if p[4]]
    by_head = {member_home[p[5]] for p in pre if p[5] in member_home}
    keys = numbers + [f"entity:{e}" for e in entity_ids]
    query = select(households).where(or_(households.c.entity_id.in_(entity_ids or [""]),
                                         households.c.household_no.in_(numbers or [""]),
                                         households.c.key.in_(keys or [""]),
                                         households.c.id.in_(by_head or [0])))
    rows = list(conn.execute(query.with_for_update(of=households)))    # parallel processors: one after the other
    by_entity = {r.entity_id: r for r in rows}
    by_number = {r.household_no: r for r in rows if r.household_no}
    by_key = {r.key for r in rows}
    by_id = {r.id: r for r in rows}

    from . import guard
    who = guard.submitters(conn, [p[0].version.submitter_id for p in pre])
    chosen: list[_Item] = []
    seen: set[str] = set()          # every key and household an earlier version of the batch names
    for ctx, record, entity, entity_id, number, head, members in pre:
        household = (by_entity.get(entity_id) if entity_id else None) or (by_number.get(number) if number else None) \
            or (by_id.get(member_home[head]) if head in member_home else None)
        named = {f"m:{m}" for m in members} | {k for k in (
            f"e:{entity_id}" if entity_id else None, f"n:{number}" if number else None,
            f"m:{head}" if head else None, f"h:{household.id}" if household is not None else None) if k}
        clash = bool(named & seen)
        seen |= named
        if clash or record.get("self_declaration"):
            continue
        if household is None:
            if (not entity_id or not record.get("region_code") or f"entity:{entity_id}" in by_key
                    or (number and (number in by_key or number in by_number)) or any(m in member_home for m in members)):
                continue
        else:
            if _base_behind(entity, household) or any(
                    member_home.get(m, household.id) != household.id for m in members):
                continue
        # the region rule (server/register/guard.py): what it would hold, the step-by-step path holds
        submitter = ctx.version.submitter_id
        if guard.check(who.get(submitter, guard.Submitter("collector")) if submitter else guard.Submitter(None),
                       project_region=ctx.project.region_code if ctx.project is not None else None,
                       record_region=record.get("region_code") or (household.region_code if household is not None
                                                                    else None),
                       household_id=household.id if household is not None else None,
                       household_region=household.region_code if household is not None else None,
                       matched=guard.matched_by(record, entity_id, household)) is not None:
            continue
        chosen.append(_Item(ctx, record, entity, entity_id, household))
    if not chosen:
        return {}

    regions = {i.record["region_code"] for i in chosen if i.household is None}
    known_regions = set(conn.scalars(select(Region.code).where(Region.code.in_(regions)))) if regions else set()
    chosen = [i for i in chosen if i.household is not None or i.record["region_code"] in known_regions]
    updates = [i for i in chosen if i.household is not None]
    history: dict[int, dict] = {}
    existing: dict[int, list] = {}
    if updates:
        hids = [i.household_id for i in updates]
        overridden = set(conn.scalars(select(ComparisonWarning.household_id).where(
            ComparisonWarning.household_id.in_(hids), ComparisonWarning.status == "overridden")))
        updates = [i for i in updates if i.household_id not in overridden]
        chosen = [i for i in chosen if i.household is None or i.household_id not in overridden]
    if updates:
        hids = [i.household_id for i in updates]
        versions_t = HouseholdVersion.__table__
        current_ids = [i.household.current_version_id for i in updates if i.household.current_version_id]
        records = dict(conn.execute(select(versions_t.c.id, versions_t.c.record)
                                    .where(versions_t.c.id.in_(current_ids))).all()) if current_ids else {}
        latest = dict(conn.execute(select(versions_t.c.household_id, func.max(versions_t.c.number))
                                   .where(versions_t.c.household_id.in_(hids)).group_by(versions_t.c.household_id))
                      .all())
        assessments = Assessment.__table__
        rank = func.row_number().over(partition_by=assessments.c.household_id,
                                      order_by=assessments.c.id.desc()).label("rank")
        recent = select(assessments.c.household_id, assessments.c.id, assessments.c.result, rank).where(
            assessments.c.household_id.in_(hids)).subquery()
        previous: dict[int, list] = {}
        for hid, result in conn.execute(select(recent.c.household_id, recent.c.result).where(recent.c.rank <= 4)
                                        .order_by(recent.c.household_id, recent.c.id)):
            previous.setdefault(hid, []).append(result)
        for row in conn.execute(select(members_t).where(members_t.c.household_id.in_(hids))
                                .order_by(members_t.c.household_id, members_t.c.position)):
            existing.setdefault(row.household_id, []).append(row)
        for item in updates:
            h = item.household
            item.current = records.get(h.current_version_id) if h.current_version_id else None
            item.number = (latest.get(h.id) or 0) + 1
            item.existing = existing.get(h.id, [])
            current = item.current or {}
            identified = h.identified_on.isoformat() if h.identified_on else None
            history[h.id] = {"overrides": [], "identified_on": identified, "category": h.category,
                             "measures": list(current.get("measures") or []),
                             "assessments": list(previous.get(h.id, [])),
                             "previous_net": (current.get("income") or {}).get("previous_net"),
                             "monitoring_start": identified}

    submitters = {i.ctx.version.submitter_id for i in chosen if i.ctx.version.submitter_id}
    actors = dict(conn.execute(select(User.id, User.username).where(User.id.in_(submitters))).all()) \
        if submitters else {}
    items: list[_Item] = []
    for item in chosen:
        t0 = time.perf_counter()
        item.merged = merge_record(item.current, item.record)
        region = item.merged.get("region_code") or (item.household.region_code if item.household is not None else None)
        if not region:
            continue
        try:
            item.policy = policy_for(session, region, policy_year(item.merged, None))
            h = history.get(item.household_id) if item.household is not None else None
            item.result = scoring.assess(dict(item.merged), item.policy, h, None).to_dict()
        except scoring.PolicyNotFound as exc:
            item.policy, item.unscored = None, str(exc)
        except Exception:  # noqa: BLE001 — the step-by-step path runs it again and records the failure
            continue
        item.score_ms = (time.perf_counter() - t0) * 1000
        items.append(item)
    if not items:
        return {}
    _write(conn, items, actors)
    # the batch's shared work (look-ups, statements) is spread evenly over its versions
    shared_ms = ((time.perf_counter() - started) * 1000 - sum(i.score_ms for i in items)) / len(items)
    return {item.ctx.version.id: [{"step": "score", "status": "ok", "ms": round(item.score_ms, 1)},
                                  {"step": "register", "status": "ok", "ms": round(shared_ms, 1)}]
            for item in items}


def _base_behind(entity: dict, household: Any) -> bool:
    """An update made from an older version than the current one (a possible conflict): step by step."""
    base = entity.get("base_version")
    return base is not None and int(base) < household.entity_version


write_households.step_names = STEP_NAMES


def _write(conn, items: list[_Item], actors: dict) -> None:  # noqa: ANN001, C901
    from server.models.base import utcnow

    households = Household.__table__
    now = utcnow()
    new = [i for i in items if i.household is None]
    if new:
        rows = [{"entity_id": i.entity_id, "key": i.record.get("household_no") or f"entity:{i.entity_id}",
                 "household_no": i.record.get("household_no") or None, "region_code": i.record["region_code"],
                 "entity_version": 1, "head_name": i.record.get("head_name") or "",
                 "household_type": i.record.get("household_type") or None, "updated_at": now} for i in new]
        for item, household_id in zip(new, insert_rows(conn, households, rows, returning_id=True)):
            item.household_id = household_id

    rows = [{"household_id": i.household_id, "number": i.number, "record": i.merged,
             "submission_version_id": i.ctx.version.id, "form_id": i.ctx.form.xml_form_id or i.record.get("form_id"),
             "base_version": i.base_version, "conflict": None, "conflict_fields": []} for i in items]
    for item, version_id in zip(items, insert_rows(conn, HouseholdVersion.__table__, rows, returning_id=True)):
        item.version_id = version_id

    # members: as households._sync_members (new ones inserted, listed ones updated, the others inactive)
    inserts, changes = [], []
    for item in items:
        wanted = _members(item.merged)
        if wanted is None:
            continue
        have = {m.id_number: m for m in item.existing}
        for id_number, (position, data) in wanted.items():
            values = {"name": data.get("name") or "", "relation": data.get("relation"), "position": position,
                      "active": True, "data": dict(data)}
            if id_number in have:
                changes.append({"id": have[id_number].id, **values})
            else:
                inserts.append({"household_id": item.household_id, "id_number": id_number, **values})
        for id_number, m in have.items():
            if id_number not in wanted:
                changes.append({"id": m.id, "name": m.name, "relation": m.relation, "position": m.position,
                                "active": False, "data": m.data})
    insert_rows(conn, Member.__table__, inserts)
    update_rows(conn, Member.__table__, changes)

    scored = [i for i in items if i.result is not None]
    facts = {id(i): summary(i.result) for i in scored}
    if scored:
        rows = [{"household_id": i.household_id, "household_version_id": i.version_id,
                 "policy_region": i.policy.region_code, "policy_year": i.policy.year,
                 "policy_version": str(i.policy.version), "category": facts[id(i)]["category"],
                 "eligible": facts[id(i)]["eligible"], "elimination_eligible": facts[id(i)]["elimination_eligible"],
                 "result": i.result, "job_id": None} for i in scored]
        for item, assessment_id in zip(scored, insert_rows(conn, Assessment.__table__, rows, returning_id=True)):
            item.assessment_id = assessment_id

    # the households' columns after the version (and the assessment), as apply_record + store_assessment
    audit, changes = [], []
    for item in items:
        h = item.household
        if h is None:
            state = {"region_code": item.record["region_code"], "head_name": item.record.get("head_name") or "",
                     "household_type": item.record.get("household_type") or None,
                     "household_no": item.record.get("household_no") or None,
                     "key": item.record.get("household_no") or f"entity:{item.entity_id}",
                     "category": None, "status": "registered", "current_assessment_id": None}
        else:
            state = {"region_code": h.region_code, "head_name": h.head_name, "household_type": h.household_type,
                     "household_no": h.household_no, "key": h.key, "category": h.category, "status": h.status,
                     "current_assessment_id": h.current_assessment_id}
        for column in _COLUMNS:
            if item.merged.get(column):
                state[column] = item.merged[column]
        if item.merged.get("household_no") and not state["household_no"]:
            state["household_no"] = state["key"] = item.merged["household_no"]
        before_category = state["category"]
        if item.result is not None:
            f = facts[id(item)]
            state["current_assessment_id"] = item.assessment_id
            if state["status"] in UNDECIDED:
                state["category"] = f["category"]
        changes.append({"id": item.household_id, "current_version_id": item.version_id,
                        "entity_version": item.number, "updated_at": now, **{k: state[k] for k in (
                            "region_code", "head_name", "household_type", "household_no", "key", "category",
                            "current_assessment_id")}})
        actor_id = item.ctx.version.submitter_id if item.ctx.version.submitter_id in actors else None
        who = {"actor_id": actor_id, "actor": actors.get(actor_id) or "system", "household_id": item.household_id,
               "region_code": state["region_code"]}
        current = item.current or {}
        changed = sorted(k for k in item.record if k not in _META and current.get(k) != item.record.get(k))
        audit.append({**who, "action": "household.create" if h is None else "household.version",
                      "entity_type": "household", "entity_id": str(item.household_id),
                      "before": None if h is None else {"version": item.number - 1},
                      "after": {"version": item.number, "changed": changed,
                                "submission_version_id": item.ctx.version.id}})
        if item.result is not None:
            f = facts[id(item)]
            audit.append({**who, "action": "assessment.create", "entity_type": "assessment",
                          "entity_id": str(item.assessment_id), "before": {"category": before_category},
                          "after": {"category": state["category"], "scored_category": f["category"],
                                    "eligible": f["eligible"], "policy_version": str(item.policy.version),
                                    "policy_year": item.policy.year, "job_id": None}})
        else:
            audit.append({**who, "action": "assessment.create", "entity_type": "household_version",
                          "entity_id": str(item.version_id), "before": None, "after": {"unscored": item.unscored}})
    update_rows(conn, households, changes)
    insert_rows(conn, AuditEntry.__table__, audit)
