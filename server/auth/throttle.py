"""Login throttling: failed logins counted per account and per client address in the database (so
every process and node sees the same counts), with a temporary lock once a limit is reached.

Every channel uses it: console and API logins, HTTP Digest and Basic on the OpenRosa routes. An
unknown user name is counted like a real one, so a lock says nothing about who exists. Settings:
LOGIN_MAX_FAILURES, LOGIN_ADDRESS_MAX_FAILURES, LOGIN_WINDOW_MINUTES, LOGIN_LOCK_MINUTES.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import LoginThrottle, UTCDateTime, utcnow

_t = LoginThrottle.__table__
USER, ADDRESS = "user", "addr"


@dataclass(frozen=True)
class Locked:
    scope: str                  # "user" or "addr"
    until: datetime

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil((self.until - utcnow()).total_seconds()))

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    def message(self) -> str:
        what = ("该账号", "this account") if self.scope == USER else ("此网络地址", "this address")
        return (f"登录失败次数过多，{what[0]}已被临时锁定，请 {self.minutes} 分钟后再试或联系管理员解锁。"
                f"Too many failed logins: {what[1]} is locked for {self.minutes} more minute(s); "
                f"try again later or ask an administrator to unlock it.")


def account_key(username: str) -> str:
    return username.strip().lower()[:128]


def client_address() -> str:
    """The client's address as the app sees it (X-Forwarded-For only from trusted proxies)."""
    return (request.remote_addr or "unknown")[:128]


def locked(session: Session, username: str | None, address: str | None = None) -> Locked | None:
    """The lock that refuses this login now (account first), or None."""
    address = client_address() if address is None else address
    keys = [and_(_t.c.scope == ADDRESS, _t.c.key == address)]
    if username:
        keys.append(and_(_t.c.scope == USER, _t.c.key == account_key(username)))
    now = utcnow()
    found = [Locked(scope, until) for scope, until in
             session.execute(select(_t.c.scope, _t.c.locked_until).where(or_(*keys), _t.c.locked_until.is_not(None)))
             if until is not None and until > now]
    found.sort(key=lambda lock: lock.scope != USER)
    return found[0] if found else None


def _upsert(session: Session):  # noqa: ANN202
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_t)


def _count(session: Session, scope: str, key: str, now: datetime, limit: int) -> None:
    cfg = current_app.config
    window_start = literal(now - timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"]), UTCDateTime())
    now_value = literal(now, UTCDateTime())
    expired = _t.c.window_started_at < window_start
    stmt = _upsert(session).values(scope=scope, key=key, failures=1, window_started_at=now, locked_until=None)
    stmt = stmt.on_conflict_do_update(index_elements=[_t.c.scope, _t.c.key], set_={
        "failures": case((expired, 1), else_=_t.c.failures + 1),
        "window_started_at": case((expired, now_value), else_=_t.c.window_started_at)})
    session.execute(stmt)
    session.execute(update(_t).where(_t.c.scope == scope, _t.c.key == key, _t.c.failures >= limit).values(
        failures=0, window_started_at=now, locked_until=now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])))


def failed(session: Session, username: str | None, address: str | None = None) -> None:
    """Count one failed login for the account name and the address (the caller commits)."""
    cfg = current_app.config
    now = utcnow()
    address = client_address() if address is None else address
    if username:
        _count(session, USER, account_key(username), now, cfg["LOGIN_MAX_FAILURES"])
    _count(session, ADDRESS, address, now, cfg["LOGIN_ADDRESS_MAX_FAILURES"])
    if random.random() < 0.01:  # housekeeping: forget old windows and past locks
        old = now - timedelta(days=1)
        session.execute(delete(_t).where(_t.c.window_started_at < old,
                                         or_(_t.c.locked_until.is_(None), _t.c.locked_until < now)))


def succeeded(session: Session, username: str) -> None:
    """A correct login clears the account's count (not the address's)."""
    session.execute(update(_t).where(_t.c.scope == USER, _t.c.key == account_key(username), _t.c.failures > 0)
                    .values(failures=0))


def unlock(session: Session, *, username: str | None = None, address: str | None = None) -> list[str]:
    """Lift locks and counts for an account and/or an address; returns what was unlocked."""
    done = []
    for scope, key in ((USER, account_key(username) if username else None), (ADDRESS, address)):
        if key is None:
            continue
        result = session.execute(delete(_t).where(_t.c.scope == scope, _t.c.key == key))
        if result.rowcount:
            done.append(f"{scope}:{key}")
    return done


def locks(session: Session) -> list[tuple[str, str, datetime]]:
    """(scope, key, locked_until) of every lock in force, for the console and CLI."""
    now = utcnow()
    return [(scope, key, until) for scope, key, until in
            session.execute(select(_t.c.scope, _t.c.key, _t.c.locked_until).where(_t.c.locked_until.is_not(None))
                            .order_by(_t.c.locked_until.desc()))
            if until > now]
