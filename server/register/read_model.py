"""The read model the exports consume: one plain dict per household (docs/exports.md, "The export
household"), streamed in id order in batches so memory stays bounded for a whole province."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Region
from server.roles import subtree_prefix

from .models import Assessment, Household, HouseholdVersion, WorkflowCase, WorkflowStep
from .scope import region_condition

_LEVELS = (("province", 2), ("city", 4), ("county", 6), ("township", 9), ("village", 12))


class _Names:
    """Region names by code, loaded once per prefix as needed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[str, str] = {}

    def region(self, code: str) -> dict:
        out = {"code": code}
        wanted = [code[:n] + "0" * (12 - n) for _level, n in _LEVELS]
        missing = [c for c in wanted if c not in self.cache]
        if missing:
            self.cache.update(dict(self.session.execute(select(Region.code, Region.name)
                                                        .where(Region.code.in_(missing))).all()))
            for c in missing:
                self.cache.setdefault(c, "")
        for (level, _n), c in zip(_LEVELS, wanted):
            out[level] = self.cache[c]
        return out


def iter_export_households(session: Session, *, role: str = "admin", region_codes: list[str] = (),
                           region: str | None = None, updated_since: datetime | None = None,
                           only_status: tuple[str, ...] | None = None, batch: int = 500,
                           where: tuple = ()) -> Iterator[dict]:
    """Households in scope (a user's role and regions; optionally one region's subtree), with their
    current record and assessment, register status and dates, in id order. ``where``: extra SQL
    conditions on ``Household`` (the exports' selections, e.g. households at a notice step)."""
    conditions = [region_condition(Household.region_code, role, list(region_codes)),
                  Household.current_version_id.is_not(None)]
    if region:
        conditions.append(Household.region_code.startswith(subtree_prefix(region), autoescape=True))
    if only_status:
        conditions.append(Household.status.in_(only_status))
    conditions.extend(where)
    names = _Names(session)
    last_id = 0
    while True:
        households = list(session.scalars(select(Household).where(*conditions, Household.id > last_id)
                                          .order_by(Household.id).limit(batch)))
        if not households:
            return
        ids = [h.id for h in households]
        last_id = ids[-1]
        records = dict(session.execute(select(HouseholdVersion.id, HouseholdVersion.record).where(
            HouseholdVersion.id.in_([h.current_version_id for h in households]))).all())
        assessment_ids = [h.current_assessment_id for h in households if h.current_assessment_id]
        assessments = dict(session.execute(select(Assessment.id, Assessment.result).where(
            Assessment.id.in_(assessment_ids))).all()) if assessment_ids else {}
        approvals = dict(session.execute(
            select(WorkflowCase.household_id, func.max(WorkflowStep.created_at))
            .join(WorkflowStep, WorkflowStep.case_id == WorkflowCase.id)
            .where(WorkflowCase.household_id.in_(ids), WorkflowStep.transition == "county_approve")
            .group_by(WorkflowCase.household_id)).all())
        methods = dict(session.execute(
            select(WorkflowCase.household_id, WorkflowStep.data)
            .join(WorkflowStep, WorkflowStep.case_id == WorkflowCase.id)
            .where(WorkflowCase.household_id.in_(ids), WorkflowStep.transition == "mark")
            .order_by(WorkflowStep.id)).all())
        for h in households:
            approved_at = approvals.get(h.id)
            if updated_since is not None and h.updated_at < updated_since and (
                    approved_at is None or approved_at < updated_since):
                continue
            yield {
                "household_id": h.id,
                "household_no": h.household_no,
                "region": names.region(h.region_code),
                "record": records.get(h.current_version_id) or {},
                "assessment": assessments.get(h.current_assessment_id),
                "category": h.category,
                "status": h.status,
                "identified_on": h.identified_on.isoformat() if h.identified_on else None,
                "eliminated_on": h.eliminated_on.isoformat() if h.eliminated_on else None,
                "elimination_method": (methods.get(h.id) or {}).get("method"),
                "reason": h.status_reason,
                "updated_at": h.updated_at.isoformat() if h.updated_at else None,
                "approved_at": approved_at.isoformat() if approved_at else None,
            }
