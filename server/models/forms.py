"""Projects (deployment scopes), forms, their published versions and media files."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (CheckConstraint, ForeignKey, Integer, LargeBinary, String, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, JSONType, UTCDateTime, utcnow

FORM_STATES = ("open", "closing", "closed")


class Project(Base):
    """The `/v1/projects/{id}` scope of OpenRosa, bound to a region (e.g. one county)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Form(Base):
    """A form (by its XML `id`) within a project; `current_version` is what formList serves."""

    __tablename__ = "forms"
    __table_args__ = (
        UniqueConstraint("project_id", "xml_form_id"),
        CheckConstraint("state IN ('open', 'closing', 'closed')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    xml_form_id: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(8), default="open")
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("form_versions.id", use_alter=True, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()
    current_version: Mapped["FormVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined")


class FormVersion(Base):
    """One published definition. `xml` is served byte for byte; `md5` is its formList hash."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255))
    xml: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # loaded only when served
    md5: Mapped[str] = mapped_column(String(32))
    xlsx_sha256: Mapped[str | None] = mapped_column(String(64))  # source spreadsheet in the blob store
    media_expected: Mapped[list] = mapped_column(JSONType, default=list)  # file names the XML references
    binary_fields: Mapped[list] = mapped_column(JSONType, default=list)  # instance paths of binary questions
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    media: Mapped[list["FormMedia"]] = relationship(
        back_populates="form_version", cascade="all, delete-orphan", order_by="FormMedia.name")


class FormMedia(Base):
    """A media file of a form version (image, CSV…); content lives in the blob store."""

    __tablename__ = "form_media"
    __table_args__ = (UniqueConstraint("form_version_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    md5: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)

    form_version: Mapped[FormVersion] = relationship(back_populates="media")


__all__ = ["FORM_STATES", "Form", "FormMedia", "FormVersion", "Project"]
