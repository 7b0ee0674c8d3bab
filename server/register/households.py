"""Applying household records to the register: find or create the household, keep every version,
upsert members by 证件号码, and flag entity conflicts (soft/hard) the way ODK Central does.

A registration record carries the whole household; a follow-up record carries the fields that form
asks. ``merge_record`` lays the submitted fields over the current record, so nothing the follow-up
did not ask is lost. An update whose ``baseVersion`` is older than the household's current version is
applied all the same and flagged: ``hard`` when a field changed since the base is set to a different
value by the update, ``soft`` otherwise (openrosa.md §5).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from scoring.idcard import is_placeholder
from server.models.base import utcnow

from . import audit
from .comparison import normalize_id
from .models import Household, HouseholdVersion, Member

# Household columns kept in step with the record.
_COLUMNS = ("region_code", "head_name", "household_type")
# Record keys that describe the submission, not the household (never merged, never conflicting).
_META = {"form_id", "form_version", "instance_id", "deprecated_id", "entity_id"}


class RegisterError(ValueError):
    """The record cannot be applied (e.g. no region, unknown region)."""


@dataclass
class Applied:
    household: Household
    version: HouseholdVersion
    created: bool
    conflict: str | None


def merge_record(current: Mapping | None, submitted: Mapping) -> dict:
    """Submitted values (not None) over the current record. Measures accumulate (unique by
    measure, date, amount); members are replaced when the submission lists them."""
    merged = dict(current or {})
    for key, value in submitted.items():
        if value is None:
            continue
        if key == "measures" and merged.get("measures"):
            seen = {(m.get("measure"), m.get("date"), m.get("amount")) for m in merged["measures"]}
            merged["measures"] = list(merged["measures"]) + [
                m for m in value if (m.get("measure"), m.get("date"), m.get("amount")) not in seen]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict) and key not in ("exclusions",):
            merged[key] = merge_record(merged[key], value)
        else:
            merged[key] = value
    return merged


def _flatten(record: Mapping | None, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (record or {}).items():
        if not prefix and key in _META:
            continue
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def classify_conflict(base: Mapping | None, current: Mapping | None, submitted: Mapping) -> tuple[str | None, list]:
    """Conflict of an update made from ``base`` while the server moved on to ``current``.

    Returns ``(None|"soft"|"hard", [hard field paths])``: hard when a field the server changed
    since the base is also set by the update to a different value than the server now has.
    """
    if base is None or current is None:
        return None, []
    flat_base, flat_current, flat_new = _flatten(base), _flatten(current), _flatten(submitted)
    changed_on_server = {k for k in set(flat_base) | set(flat_current) if flat_base.get(k) != flat_current.get(k)}
    if not changed_on_server:
        return None, []
    hard = sorted(k for k in changed_on_server
                  if k in flat_new and flat_new[k] is not None and flat_new[k] != flat_current.get(k))
    return ("hard" if hard else "soft"), hard


def find_household(session: Session, record: Mapping, entity_id: str | None = None, *,
                   lock: bool = False) -> Household | None:
    """By entity UUID, then national 户编号, then the head's 证件号码. ``lock``: FOR UPDATE, so parallel
    processors apply updates of one household one after the other (a no-op on SQLite)."""
    def one(query):  # noqa: ANN001, ANN202
        return session.scalar(query.with_for_update(of=Household) if lock else query)

    entity_id = _bare_uuid(entity_id or record.get("entity_id"))
    if entity_id:
        found = one(select(Household).where(Household.entity_id == entity_id))
        if found:
            return found
    if record.get("household_no"):
        found = one(select(Household).where(Household.household_no == record["household_no"]))
        if found:
            return found
    head = normalize_id(record.get("head_id_number"))
    if head:
        household_id = session.scalar(select(Member.household_id).where(Member.id_number == head))
        if household_id is not None:
            return session.get(Household, household_id, with_for_update=lock or None)
    return None


def _bare_uuid(value: str | None) -> str | None:
    if not value:
        return None
    value = str(value).strip()
    if value.lower().startswith("uuid:"):
        value = value[5:]
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _sync_members(session: Session, household: Household, record: Mapping, actor: Any) -> None:
    members = record.get("members")
    if members is None:
        return
    keep: set[str] = set()
    existing = {m.id_number: m for m in household.members}
    wanted = [i for i in (normalize_id(d.get("id_number")) for d in members)
              if i and not is_placeholder(i) and i not in existing]
    # One query for the members listed elsewhere (moved here) instead of one per member.
    known = dict(existing)
    if wanted:
        with session.no_autoflush:
            known.update((m.id_number, m) for m in session.scalars(select(Member).where(Member.id_number.in_(wanted))))
    for position, data in enumerate(members):
        id_number = normalize_id(data.get("id_number"))
        if not id_number or is_placeholder(id_number):
            continue                    # no usable 证件号码 (scoring reports it): kept in the record only
        keep.add(id_number)
        member = known.get(id_number)
        if member is None:
            member = Member(id_number=id_number)
            household.members.append(member)
            known[id_number] = member
        elif member.household_id is not None and member.household_id != household.id:  # None: added above
            moved_from = member.household_id
            member.household = household
            audit.record(session, "household.version", actor=actor, entity_type="member", entity_id=member.id,
                         household_id=household.id, region_code=household.region_code,
                         before={"household_id": moved_from}, after={"household_id": household.id})
        member.name = data.get("name") or ""
        member.relation = data.get("relation")
        member.position = position
        member.active = True
        member.data = dict(data)
    for id_number, member in existing.items():
        if id_number not in keep:
            member.active = False


def apply_record(session: Session, record: Mapping, *, entity: Mapping | None = None,
                 submission_version_id: int | None = None, form_id: str | None = None,
                 actor: Any = None, household: Household | None = None, looked_up: bool = False) -> Applied:
    """Apply one household record; returns the household and its new version (caller commits).
    ``looked_up``: ``household`` is what ``find_household`` returned for this record (saves the look-up)."""
    entity = entity or {}
    if not looked_up:
        household = find_household(session, record, entity.get("id"))
    created = household is None
    if created:
        region = record.get("region_code")
        if not region:
            raise RegisterError("the record has no region_code")
        from server.models import Region
        if session.get(Region, region) is None:
            raise RegisterError(f"unknown region {region}")
        entity_id = _bare_uuid(entity.get("id") or record.get("entity_id")) or str(uuid.uuid4())
        household_no = record.get("household_no") or None
        household = Household(entity_id=entity_id, key=household_no or f"entity:{entity_id}",
                              household_no=household_no, region_code=region, entity_version=0)
        for column in _COLUMNS:         # set before the INSERT: no UPDATE of the same row right after
            if record.get(column):
                setattr(household, column, record[column])
        household.entity_version = 1
        household.updated_at = utcnow()
        session.add(household)
        session.flush()
        set_committed_value(household, "members", [])   # new: no SELECT for its (empty) members
    current = household.current_version.record if household.current_version else None
    base_version = entity.get("base_version")
    conflict, hard_fields = None, []
    if not created and base_version is not None and int(base_version) < household.entity_version:
        base = session.scalar(select(HouseholdVersion.record).where(
            HouseholdVersion.household_id == household.id, HouseholdVersion.number == int(base_version)))
        conflict, hard_fields = classify_conflict(base, current, record)
    merged = merge_record(current, record)
    number = 1 if created else (session.scalar(select(func.max(HouseholdVersion.number))
                                               .where(HouseholdVersion.household_id == household.id)) or 0) + 1
    version = HouseholdVersion(household_id=household.id, number=number, record=merged,
                               submission_version_id=submission_version_id,
                               form_id=form_id or record.get("form_id"),
                               base_version=None if base_version is None else int(base_version),
                               conflict=conflict, conflict_fields=hard_fields)
    session.add(version)
    session.flush()
    for column in _COLUMNS:
        if merged.get(column):
            setattr(household, column, merged[column])
    if merged.get("household_no") and not household.household_no:
        household.household_no = merged["household_no"]
        household.key = merged["household_no"]
    household.current_version = version
    household.entity_version = number
    if not created:
        household.updated_at = utcnow()
    if conflict:
        household.conflict = conflict if household.conflict != "hard" else "hard"
    _sync_members(session, household, merged, actor)
    changed = sorted(k for k in record if k not in _META and (current or {}).get(k) != record.get(k))
    audit.record(session, "household.create" if created else "household.version", actor=actor,
                 entity_type="household", entity_id=household.id, household_id=household.id,
                 region_code=household.region_code,
                 before=None if created else {"version": number - 1},
                 after={"version": number, "changed": changed, "submission_version_id": submission_version_id})
    if conflict:
        audit.record(session, "household.conflict", actor=actor, entity_type="household", entity_id=household.id,
                     household_id=household.id, region_code=household.region_code,
                     after={"conflict": conflict, "base_version": int(base_version), "fields": hard_fields})
    return Applied(household, version, created, conflict)


def resolve_conflict(session: Session, household: Household, actor: Any) -> None:
    """A reviewer has looked at the conflicting versions: clear the flag (recorded)."""
    before = household.conflict
    household.conflict = None
    audit.record(session, "household.conflict", actor=actor, entity_type="household", entity_id=household.id,
                 household_id=household.id, region_code=household.region_code,
                 before={"conflict": before}, after={"conflict": None})
