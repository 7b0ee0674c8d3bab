"""Authentication state shared by every process and node: login sessions, failed-login throttles and
the Digest nonces in use (docs/security.md)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, utcnow

SESSION_KINDS = ("console", "api")


class AuthSession(Base):
    """One login: a console cookie or an API bearer token. Only the SHA-256 of the secret is stored;
    logout sets `revoked_at`; a password change or disabling the user revokes all of a user's rows."""

    __tablename__ = "auth_sessions"
    __table_args__ = (UniqueConstraint("token_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed logins counted per account (`scope='user'`, key = user name) and per client address
    (`scope='addr'`); `locked_until` set once the limit is reached in the window."""

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestNonce(Base):
    """A Digest nonce that has authenticated a request: the highest nonce count seen (each request must
    send a higher one, so a captured header is good for nothing)."""

    __tablename__ = "digest_nonces"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_nc: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
