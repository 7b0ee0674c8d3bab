"""Users, roles, user↔region bindings and app-user (device) tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import false as sa_false
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UTCDateTime, utcnow
from server.roles import ROLE_CODES

_ROLE_CHECK = "role IN (" + ", ".join(f"'{r}'" for r in ROLE_CODES) + ")"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # argon2id
    # MD5(username:realm:password) for HTTP Digest, which needs a password-equivalent per realm.
    digest_ha1: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set for demo and admin-reset passwords: console and API accept nothing but a password change.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    regions: Mapped[list["UserRegion"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    @property
    def region_codes(self) -> list[str]:
        return sorted(b.region_code for b in self.regions)


class UserRegion(Base):
    """A user's binding to one region (a collector to a village, a reviewer to a township…)."""

    __tablename__ = "user_regions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True, index=True)

    user: Mapped[User] = relationship(back_populates="regions")


class AppToken(Base):
    """A device token: `/v1/key/{token}/projects/{pid}/…` acts as `user` within `project`.

    Only the SHA-256 of the token is stored; the token itself is shown once (QR code).
    """

    __tablename__ = "app_tokens"
    __table_args__ = (UniqueConstraint("token_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
