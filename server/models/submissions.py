"""Submissions: the logical submission (keyed by its first instanceID), its versions and attachments.

A version's XML is stored in its own row (`xml`, exactly the bytes received; versions stored before
2026-12 have NULL there and their XML in the blob store, by `xml_sha256`); attachment bytes live in the
content-addressed blob store (by sha256) and rows point at them.
Processing (parse → score → register) is tracked per version and never affects whether a version is kept.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (BigInteger, CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from server.models.base import Base, JSONType, UTCDateTime, utcnow

# Processing states. `pending` → `done` | `failed`, or a settled state: processing ended cleanly without
# applying anything, for a reason of its own (never a failure, never retried by `--all-failed`):
# `not_applicable` — no register step applies (a form that is not one of shoudi's household forms);
# `encrypted` — an encrypted instance waiting for decryption (its key is locked or absent).
SETTLED_STATES = ("not_applicable", "encrypted")
PROCESSING_STATES = ("pending", "done", "failed", *SETTLED_STATES, "held", "rejected")   # held/rejected: register/holds.py


class Submission(Base):
    """One logical submission of a form; edits add versions, `instance_id` stays the first one."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("form_id", "instance_id"),)   # also serves look-ups by form

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    instance_id: Mapped[str] = mapped_column(String(255))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission_versions.id", use_alter=True, ondelete="SET NULL"))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    review_state: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    current_version: Mapped["SubmissionVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True)


class SubmissionVersion(Base):
    """One received instance (the first submission or an edit); immutable once stored."""

    __tablename__ = "submission_versions"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id"),
        CheckConstraint("processing_state IN ('pending', 'done', 'failed', 'not_applicable', 'encrypted', 'held', 'rejected')",
                        name="processing_state"),
        Index("ix_submission_versions_processing", "processing_state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id"))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    instance_id: Mapped[str] = mapped_column(String(255))
    deprecated_id: Mapped[str | None] = mapped_column(String(255))
    instance_name: Mapped[str | None] = mapped_column(String(255))
    xml_sha256: Mapped[str] = mapped_column(String(64))
    xml_size: Mapped[int] = mapped_column(Integer)
    # The instance as received (deferred: loaded only where read); NULL for versions whose XML is in the
    # blob store (stored before 2026-12). Read it through `instance_xml(version, blobs)`.
    xml: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    app_token_id: Mapped[int | None] = mapped_column(ForeignKey("app_tokens.id", ondelete="SET NULL"))
    device_id: Mapped[str | None] = mapped_column(String(255))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attachments_expected: Mapped[int] = mapped_column(Integer, default=0)
    attachments_present: Mapped[int] = mapped_column(Integer, default=0)
    # Processing after the 201: state, last error, attempts, and one entry per step run.
    processing_state: Mapped[str] = mapped_column(String(16), default="pending")
    processing_error: Mapped[str | None] = mapped_column(Text)
    processing_attempts: Mapped[int] = mapped_column(Integer, default=0)
    processing_log: Mapped[list] = mapped_column(JSONType, default=list)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    record: Mapped[dict | None] = mapped_column(JSONType)  # household record (docs/household-record.md)

    submission: Mapped[Submission] = relationship(foreign_keys=[submission_id])
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Attachment.name")


class Attachment(Base):
    """An expected or received file of a submission version (`sha256` is None until it arrives)."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_versions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    version: Mapped[SubmissionVersion] = relationship(back_populates="attachments")

    @property
    def exists(self) -> bool:
        return self.sha256 is not None
