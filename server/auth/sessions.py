"""Server-side login sessions: the console's cookie and the REST API's bearer tokens.

A session is a random secret handed to the client (inside the signed cookie, or as the bearer token);
the database keeps its SHA-256 in `auth_sessions`. Every request looks it up, so logout (`revoke`),
a password change or disabling the user (`revoke_all`) end it at once, on every process and node.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from server.models import AuthSession, User, utcnow

_s, _u = AuthSession.__table__, User.__table__
_LOOKUP = (select(_s.c.id, _s.c.user_id)
           .select_from(_s.join(_u, _u.c.id == _s.c.user_id))
           .where(_s.c.token_sha256 == bindparam("sha"), _s.c.kind == bindparam("kind"),
                  _s.c.revoked_at.is_(None), _s.c.expires_at > bindparam("now", type_=_s.c.expires_at.type),
                  _u.c.active.is_(True)))


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def start(session: Session, user: User, kind: str, *, hours: float, address: str | None = None) -> str:
    """A new session for `user`; returns the secret (shown to the client once, never stored)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(_s).where(_s.c.expires_at < now - timedelta(days=1)))  # housekeeping
    session.add(AuthSession(token_sha256=_sha(secret), user_id=user.id, kind=kind, address=(address or "")[:64],
                            created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours)))
    session.flush()
    return secret


def user_id_for(session: Session, secret: str | None, kind: str) -> int | None:
    """The user of a live session (not revoked, not expired, user active), else None."""
    if not secret or len(secret) > 128:
        return None
    row = session.execute(_LOOKUP, {"sha": _sha(secret), "kind": kind, "now": utcnow()}).first()
    return row[1] if row else None


def revoke(session: Session, secret: str | None) -> None:
    if secret:
        session.execute(update(_s).where(_s.c.token_sha256 == _sha(secret), _s.c.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))


def revoke_all(session: Session, user_id: int) -> int:
    """End every console and API session of a user; returns how many were live."""
    result = session.execute(update(_s).where(_s.c.user_id == user_id, _s.c.revoked_at.is_(None))
                             .values(revoked_at=utcnow()))
    return result.rowcount or 0
