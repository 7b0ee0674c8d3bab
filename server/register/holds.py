"""Held submissions (待审核): versions processing may not apply, kept for township/county review.

Processing holds a version when it fails the region rule (``server.register.guard``): the submission
stays stored (it was acknowledged), its ``processing_state`` becomes ``held`` — distinct from
``failed`` — and one ``HeldSubmission`` row says why (zh/en) and which regions it concerns
(``HeldRegion``: the record's region, the matched household's, the households members come from).
Staff who may act in any of those regions see it; a decision needs a reviewer who may act in all of
them:

- **apply**: the record is applied to the household it matches now (or creates one), as processing
  would have, with the reviewer as actor (members registered elsewhere move, audited);
- **assign**: the record is applied to a household the reviewer names (the household keeps its region);
- **reject**: nothing is applied; the version becomes ``rejected``; a reason is required.

Every hold and decision is in the audit log (``submission.hold``, ``submission.apply``,
``submission.assign``, ``submission.reject``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, exists, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from server.models.base import Base, JSONType, UTCDateTime, utcnow

from . import audit
from .guard import Hold

STATES = ("open", "applied", "assigned", "rejected")
STATE_LABELS = {"open": ("待审核", "Awaiting review"), "applied": ("已应用", "Applied"),
                "assigned": ("已指定农户并应用", "Assigned and applied"), "rejected": ("已驳回", "Rejected")}
REVIEWERS = ("township", "county", "admin")


class HeldSubmission(Base):
    __tablename__ = "held_submissions"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'applied', 'assigned', 'rejected')", name="state"),
        Index("ix_held_submissions_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_version_id: Mapped[int] = mapped_column(
        ForeignKey("submission_versions.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(String(40))
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    record_region: Mapped[str | None] = mapped_column(String(12))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"))
    household_region: Mapped[str | None] = mapped_column(String(12))
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(10), default="open")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    result_household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    regions: Mapped[list["HeldRegion"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def region_codes(self) -> list[str]:
        return sorted(r.region_code for r in self.regions)


class HeldRegion(Base):
    """A region a held submission concerns: its staff see it."""
    __tablename__ = "held_submission_regions"

    held_id: Mapped[int] = mapped_column(ForeignKey("held_submissions.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)


class DecisionError(Exception):
    """A decision that cannot be taken; ``status`` 403/404/409/422, message zh + en."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def hold(session: Session, version: Any, held: Hold, *, actor: Any = None,
         entity: dict | None = None) -> HeldSubmission:
    """Keep ``version`` for review (caller sets its processing state and commits). Processing the same
    version again replaces the open hold's reason (one row per version)."""
    row = session.scalar(select(HeldSubmission).where(HeldSubmission.submission_version_id == version.id))
    if row is None:
        row = HeldSubmission(submission_version_id=version.id)
        session.add(row)
    row.reason, row.message_zh, row.message_en = held.reason, held.zh, held.en
    row.record_region, row.household_id, row.household_region = \
        held.record_region, held.household_id, held.household_region
    row.detail = {**held.to_detail(), "entity": entity or {}}
    row.state, row.decided_by, row.decided_at, row.note, row.result_household_id = "open", None, None, None, None
    row.updated_at = utcnow()
    wanted = set(held.regions)
    row.regions = [r for r in row.regions if r.region_code in wanted] + [
        HeldRegion(region_code=c) for c in sorted(wanted - {r.region_code for r in row.regions})]
    session.flush()
    audit.record(session, "submission.hold", actor=actor, entity_type="submission_version", entity_id=version.id,
                 household_id=held.household_id, region_code=held.household_region or held.record_region,
                 after={"reason": held.reason, "held_id": row.id, "record_region": held.record_region,
                        "matched_by": held.matched_by,
                        "other_households": [h for h, _r in held.others]})
    return row


def visible_condition(role: str, bound: list[str]):  # noqa: ANN201
    """SQL condition: the held submissions a reviewer sees (any region concerned in their scope)."""
    from .scope import region_condition
    return exists().where(HeldRegion.held_id == HeldSubmission.id,
                          region_condition(HeldRegion.region_code, role, bound))


def may_see(user: Any, row: HeldSubmission) -> bool:
    from server.roles import may_act_in
    return user.role in REVIEWERS and any(may_act_in(user.region_codes, user.role, c) for c in row.region_codes)


def _reviewer(user: Any):  # noqa: ANN202
    from .guard import Submitter
    return Submitter(user.role, tuple(user.region_codes))


def _check_open(row: HeldSubmission) -> None:
    if row.state != "open":
        raise DecisionError(409, "hold.decided", "该提交已处理。This held submission has already been decided.")


def _may_decide(user: Any, row: HeldSubmission) -> None:
    reviewer = _reviewer(user)
    if user.role not in REVIEWERS or not all(reviewer.may_act_in(c) for c in row.region_codes):
        raise DecisionError(403, "hold.scope", "此提交涉及您负责区域以外的区划，须由上级审核。"
                                               "This submission concerns regions outside yours.")


def _version_context(session: Session, row: HeldSubmission):  # noqa: ANN202
    from flask import current_app

    from server.ingest import StepContext
    from server.models import Form, FormVersion, Project, SubmissionVersion
    from server.storage import get_blobs
    version = session.get(SubmissionVersion, row.submission_version_id, with_for_update=True)
    form = session.get(Form, version.form_id)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ctx = StepContext(app=app, session=session, blobs=get_blobs(),
                      version=version, form=form, form_version=session.get(FormVersion, version.form_version_id),
                      project=session.get(Project, form.project_id))
    ctx.record = dict(version.record or {})
    entity = (row.detail or {}).get("entity")
    if entity:
        from types import SimpleNamespace
        ctx.parsed = SimpleNamespace(entity=entity)
    return ctx


def _finish(session: Session, row: HeldSubmission, ctx: Any, state: str, user: Any, note: str | None) -> None:
    version = ctx.version
    version.processing_state = "done" if state in ("applied", "assigned") else "rejected"
    version.processing_error = None
    version.processed_at = utcnow()
    row.state, row.decided_by, row.decided_at, row.note = state, user.id, utcnow(), note
    row.result_household_id = ctx.results.get("household_id")
    row.updated_at = utcnow()


def apply(session: Session, row: HeldSubmission, user: Any, *, household_id: int | None = None,
          note: str | None = None) -> HeldSubmission:
    """Apply a held submission (to ``household_id`` when given: assign). The reviewer must be allowed to
    act in every region it concerns, as the submission is now (a household may have moved since)."""
    from server.register.ingest_steps import apply_to_register, score

    from server.db import begin_write

    from .models import Household
    begin_write(session)          # SQLite: the write lock first, then the state it decides on
    session.refresh(row)
    _check_open(row)
    _may_decide(user, row)
    ctx = _version_context(session, row)
    target = None
    if household_id is not None:
        target = session.get(Household, household_id, with_for_update=True)
        if target is None or not _reviewer(user).may_act_in(target.region_code):
            raise DecisionError(404, "not_found", "未找到该农户。Household not found.")
        ctx.record["region_code"] = target.region_code    # assigned: the household keeps its region
    ctx.results["review"] = {"actor": user, "household": target}
    from server.ingest import ProcessingError
    try:
        score(ctx)
        held = ctx.results.get("hold")
        if held is not None:
            session.rollback()
            raise DecisionError(403, "hold.scope", f"{held.zh}（审核人）。{held.en} (reviewer).")
        apply_to_register(ctx)
    except ProcessingError as exc:       # e.g. a region unknown to the register: nothing applied
        session.rollback()
        raise DecisionError(422, "validation", f"无法应用该提交：{exc}。The submission cannot be applied: {exc}.") \
            from None
    state = "assigned" if target is not None else "applied"
    _finish(session, row, ctx, state, user, note)
    audit.record(session, f"submission.{'assign' if target is not None else 'apply'}", actor=user,
                 entity_type="submission_version", entity_id=row.submission_version_id,
                 household_id=ctx.results.get("household_id"), region_code=row.household_region or row.record_region,
                 before={"state": "open", "reason": row.reason},
                 after={"state": state, "held_id": row.id, "household_id": ctx.results.get("household_id")})
    session.flush()
    return row


def close_reprocessed(session: Session, version_id: int, household_id: int) -> None:
    """A held version processed again (``shoudi reprocess``) that the rule now lets through was applied
    by processing itself: its open hold is closed as applied by the system (audited)."""
    row = session.scalar(select(HeldSubmission).where(HeldSubmission.submission_version_id == version_id,
                                                      HeldSubmission.state == "open"))
    if row is None:
        return
    row.state, row.decided_at, row.result_household_id = "applied", utcnow(), household_id
    row.note, row.updated_at = "reprocessed", utcnow()
    audit.record(session, "submission.apply", entity_type="submission_version", entity_id=version_id,
                 household_id=household_id, region_code=row.household_region or row.record_region,
                 before={"state": "open", "reason": row.reason},
                 after={"state": "applied", "held_id": row.id, "household_id": household_id, "reprocessed": True})


def reject(session: Session, row: HeldSubmission, user: Any, *, note: str | None) -> HeldSubmission:
    from server.db import begin_write
    from server.models import SubmissionVersion
    if not (note or "").strip():
        raise DecisionError(422, "validation", "驳回须填写原因。A reason is required to reject.")
    begin_write(session)
    session.refresh(row)
    _check_open(row)
    _may_decide(user, row)
    version = session.get(SubmissionVersion, row.submission_version_id)
    from types import SimpleNamespace
    _finish(session, row, SimpleNamespace(version=version, results={}), "rejected", user, note.strip())
    audit.record(session, "submission.reject", actor=user, entity_type="submission_version",
                 entity_id=row.submission_version_id, household_id=row.household_id,
                 region_code=row.household_region or row.record_region,
                 before={"state": "open", "reason": row.reason}, after={"state": "rejected", "held_id": row.id})
    session.flush()
    return row


def to_dict(row: HeldSubmission, *, lang: str = "zh") -> dict:
    zh, en = STATE_LABELS[row.state]
    return {"id": row.id, "submission_version_id": row.submission_version_id, "reason": row.reason,
            "message_zh": row.message_zh, "message_en": row.message_en,
            "record_region": row.record_region, "household_id": row.household_id,
            "household_region": row.household_region, "regions": row.region_codes,
            "matched_by": (row.detail or {}).get("matched_by"),
            "other_households": (row.detail or {}).get("other_households", []),
            "state": row.state, "state_zh": zh, "state_en": en, "note": row.note,
            "decided_by": row.decided_by, "decided_at": row.decided_at.isoformat() if row.decided_at else None,
            "result_household_id": row.result_household_id,
            "created_at": row.created_at.isoformat() if row.created_at else None}
