"""The append-only audit log: every state change, override, export, login and permission change.

``record`` adds one entry in the caller's transaction. Entries hold codes, ids, dates and field
names — never 证件号码, phone numbers or health data (those stay in the versioned records).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEntry

ACTIONS = (
    "login", "login.failed", "logout", "user.create", "user.update", "user.regions", "user.unlock",
    "user.password", "token.issue", "token.revoke", "region.import",
    "household.create", "household.version", "household.conflict", "assessment.create",
    "case.open", "case.transition", "case.objection", "comparison.import", "warning.decision",
    "job.enqueue", "export", "policy.set", "policy.remove",
    "submission.hold", "submission.apply", "submission.assign", "submission.reject",
    "attachment.add", "attachment.replace", "attachment.refused",
    "key.create", "key.unlock", "key.unlock_failed", "key.lock",
)


def record(session: Session, action: str, *, actor: Any = None, entity_type: str, entity_id: Any = None,
           household_id: int | None = None, region_code: str | None = None, before: dict | None = None,
           after: dict | None = None) -> AuditEntry:
    """Append one audit entry; ``actor`` is a User (or None for the system)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(action=action, actor_id=getattr(actor, "id", None),
                       actor=getattr(actor, "username", None) or "system", entity_type=entity_type,
                       entity_id=None if entity_id is None else str(entity_id), household_id=household_id,
                       region_code=region_code, before=before, after=after)
    session.add(entry)
    return entry


def for_household(session: Session, household_id: int, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.household_id == household_id)
                                .order_by(AuditEntry.id).limit(limit).offset(offset)))


def to_dict(entry: AuditEntry) -> dict:
    return {"id": entry.id, "at": entry.at.isoformat() if entry.at else None, "actor": entry.actor,
            "action": entry.action, "entity_type": entry.entity_type, "entity_id": entry.entity_id,
            "household_id": entry.household_id, "region_code": entry.region_code,
            "before": entry.before, "after": entry.after}
