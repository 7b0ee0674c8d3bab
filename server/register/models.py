"""The household register: households, members, versions, assessments, workflow cases, department
comparison and the audit log. Tables exist through alembic revisions only."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, JSONType, UTCDateTime, utcnow

CONFLICTS = ("soft", "hard")
WARNING_STATES = ("open", "confirmed", "overridden")


class Household(Base):
    """One household. ``key`` is the national 户编号 when known, else ``entity:<uuid>``."""

    __tablename__ = "households"
    __table_args__ = (
        CheckConstraint("conflict IS NULL OR conflict IN ('soft', 'hard')", name="conflict"),
        Index("ix_households_region_id", "region_code", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    household_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    entity_id: Mapped[str] = mapped_column(String(36), unique=True)   # dataset "households", bare UUID
    entity_version: Mapped[int] = mapped_column(Integer, default=1)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    head_name: Mapped[str] = mapped_column(String(128), default="")
    household_type: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="registered")
    status_reason: Mapped[str | None] = mapped_column(Text)
    identified_on: Mapped[date | None] = mapped_column(Date)
    eliminated_on: Mapped[date | None] = mapped_column(Date)
    conflict: Mapped[str | None] = mapped_column(String(4))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_versions.id", use_alter=True, ondelete="SET NULL"))
    current_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", use_alter=True, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped["HouseholdVersion | None"] = relationship(foreign_keys=[current_version_id],
                                                                       post_update=True)
    current_assessment: Mapped["Assessment | None"] = relationship(foreign_keys=[current_assessment_id],
                                                                   post_update=True)
    members: Mapped[list["Member"]] = relationship(back_populates="household", order_by="Member.position")


class Member(Base):
    """A person, keyed by the normalised 证件号码 (unique across the register)."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    id_number: Mapped[str] = mapped_column(String(22), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    relation: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)

    household: Mapped[Household] = relationship(back_populates="members")


class HouseholdVersion(Base):
    """Every version of a household's record, with the submission version that produced it."""

    __tablename__ = "household_versions"
    __table_args__ = (UniqueConstraint("household_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    submission_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission_versions.id", ondelete="SET NULL"), index=True)
    form_id: Mapped[str | None] = mapped_column(String(255))
    base_version: Mapped[int | None] = mapped_column(Integer)
    conflict: Mapped[str | None] = mapped_column(String(4))
    conflict_fields: Mapped[list] = mapped_column(JSONType, default=list)
    record: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assessment(Base):
    """A scoring result stored with the policy version that produced it."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    household_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_versions.id", ondelete="SET NULL"))
    policy_region: Mapped[str] = mapped_column(String(12))
    policy_year: Mapped[int] = mapped_column(Integer)
    policy_version: Mapped[str] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(32))
    eligible: Mapped[bool | None] = mapped_column(Boolean)
    elimination_eligible: Mapped[bool | None] = mapped_column(Boolean)
    result: Mapped[dict] = mapped_column(JSONType)
    job_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkflowCase(Base):
    """One run of a procedure for a household; ``context`` holds the dates and flags guards read."""

    __tablename__ = "workflow_cases"
    __table_args__ = (Index("ix_workflow_cases_household", "household_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    procedure: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(32))
    entry_channel: Mapped[str | None] = mapped_column(String(32))
    context: Mapped[dict] = mapped_column(JSONType, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    steps: Mapped[list["WorkflowStep"]] = relationship(order_by="WorkflowStep.id", cascade="all, delete-orphan")


class WorkflowStep(Base):
    __tablename__ = "workflow_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_cases.id", ondelete="CASCADE"), index=True)
    transition: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on: Mapped[date] = mapped_column(Date)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Deadline(Base):
    """Deadlines of a case in working days, recomputed from its steps after each transition."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_open", "met_on", "due_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("workflow_cases.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    code: Mapped[str] = mapped_column(String(40))
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    met_on: Mapped[date | None] = mapped_column(Date)


class ComparisonBatch(Base):
    """One imported department file. Re-importing a source for a region replaces the earlier batch."""

    __tablename__ = "comparison_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    blob_sha256: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[dict] = mapped_column(JSONType, default=dict)
    options: Mapped[dict] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")   # queued|running|done|failed|replaced
    stats: Mapped[dict] = mapped_column(JSONType, default=dict)
    job_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ComparisonWarning(Base):
    """An exclusion warning on a household from a department file; county staff confirm or override."""

    __tablename__ = "comparison_warnings"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'confirmed', 'overridden')", name="status"),
        Index("ix_comparison_warnings_household", "household_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("comparison_batches.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(32))
    exclusion: Mapped[str] = mapped_column(String(32))
    record_date: Mapped[str | None] = mapped_column(String(10))
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    row_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="open")
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Append-only: who did what, when, to what, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_household", "household_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)       # no FK: the log outlives users
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(48), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    household_id: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str | None] = mapped_column(String(12))
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(mapper, connection, target):  # noqa: ANN001
    raise PermissionError("the audit log is append-only")
