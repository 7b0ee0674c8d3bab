"""Who is making this request: an app-user token, HTTP Digest, or HTTP Basic (HTTPS only by default).

Failures raise `ApiError` 401 carrying `WWW-Authenticate` challenges (Digest always, Basic when the
request came over HTTPS), so Collect can log in with a username and password — unlike ODK Central.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from flask import current_app, request
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from server.auth import digest, passwords, throttle, tokens
from server.db import HotStatement, begin_write, remember, remembered
from server.errors import ApiError
from server.models import AppToken, DigestNonce, Project, User, UserRegion, utcnow
from server.roles import may_act_in, region_contains


@dataclass(frozen=True)
class Principal:
    """The authenticated user as read for this request (plain values, no ORM instance)."""
    id: int
    username: str
    role: str
    region_codes: list[str]          # sorted


@dataclass(frozen=True)
class TokenInfo:
    id: int
    project_id: int


@dataclass
class Actor:
    user: Principal
    method: str                      # "token", "digest" or "basic"
    token: TokenInfo | None = None

    @property
    def region_codes(self) -> list[str]:
        return self.user.region_codes

    def may_act_in(self, code: str) -> bool:
        return may_act_in(self.region_codes, self.user.role, code)

    def sees_project(self, project: Project) -> bool:
        """Token: only its own project. Others: a bound region overlaps the project's region."""
        if self.token is not None:
            return self.token.project_id == project.id
        if self.user.role == "admin":
            return True
        return any(region_contains(project.region_code, b) or region_contains(b, project.region_code)
                   for b in self.region_codes)


# Authentication runs on every OpenRosa request: one prebuilt statement each (`HotStatement`: compiled
# once, prepared on PostgreSQL), the user's regions joined in; no ORM instances, no caching, so a
# revoked token, a deactivated user or changed regions count from the very next request. (The one
# exception, the submission route's express lane, remembers tokens verified here and skips this
# statement, because its own write checks the token again: `recently_verified`.)
_t, _u, _ur = AppToken.__table__, User.__table__, UserRegion.__table__
_TOKEN_ACTOR = HotStatement(
    select(_t.c.id, _t.c.project_id, _t.c.last_used_at, _u.c.id, _u.c.username, _u.c.role, _ur.c.region_code)
    .select_from(_t.join(_u, _u.c.id == _t.c.user_id).outerjoin(_ur, _ur.c.user_id == _u.c.id))
    .where(_t.c.token_sha256 == bindparam("sha"), _t.c.revoked_at.is_(None), _u.c.active.is_(True)))
_ACTIVE_USER = HotStatement(
    select(_u.c.id, _u.c.username, _u.c.role, _u.c.password_hash, _u.c.digest_ha1, _ur.c.region_code)
    .select_from(_u.outerjoin(_ur, _ur.c.user_id == _u.c.id))
    .where(_u.c.username == bindparam("username"), _u.c.active.is_(True)))
_TOKEN_USED = update(_t).where(_t.c.id == bindparam("token_id")).values(last_used_at=bindparam("now"))


TOKEN_TOUCH = timedelta(minutes=10)  # a token's last_used_at is refreshed at most this often


def _regions(rows: list, column: int) -> list[str]:
    return sorted(r[column] for r in rows if r[column] is not None)


def challenges(*, stale: bool = False) -> list[tuple[str, str]]:
    cfg = current_app.config
    domain = (request.script_root or "") + "/v1/"
    headers = [("WWW-Authenticate", digest.challenge(cfg["SECRET_KEY"], cfg["AUTH_REALM"], domain, path=request.path,
                                                     stale=stale))]
    if _basic_allowed():
        headers.append(("WWW-Authenticate", f'Basic realm="{cfg["AUTH_REALM"]}", charset="UTF-8"'))
    return headers


def unauthorized(message: str = "请登录。Authentication required.", *, stale: bool = False) -> ApiError:
    return ApiError(401, message, code="401.2", headers=challenges(stale=stale))


def _basic_allowed() -> bool:
    return request.is_secure or current_app.config["BASIC_AUTH_HTTP"]


def authenticate(session: Session, *, token: str | None = None) -> Actor:
    if token is not None:
        return _by_token(session, token)
    header = request.headers.get("Authorization", "")
    if not header:
        raise unauthorized()
    scheme = header.split(" ", 1)[0].lower()
    if scheme == "digest":
        return _by_digest(session, header)
    if scheme == "basic":
        return _by_basic(session, header)
    raise unauthorized("不支持的认证方式。Unsupported authentication scheme.")


@dataclass(frozen=True)
class _UserRow:
    principal: Principal
    password_hash: str | None
    digest_ha1: str | None


def _active_user(session: Session, username: str) -> _UserRow | None:
    rows = _ACTIVE_USER.run(session, {"username": username})
    if not rows:
        return None
    first = rows[0]
    return _UserRow(Principal(first[0], first[1], first[2], _regions(rows, 5)), first[3], first[4])


_VERIFIED = "verified app tokens"  # token sha256 → TokenInfo, in `remembered`


def recently_verified(session: Session, token: str | None, project_id: int) -> str | None:
    """The sha256 of `token` when this process has verified it with `authenticate` (and not since found
    it revoked) as a token of `project_id`; None otherwise. No statement: only for the submission
    route's express lane, whose one write checks the token again (server/submissions/intake.py);
    everything else authenticates each request."""
    if token is None or not tokens.well_formed(token):
        return None
    sha = tokens.token_digest(token)
    known = remembered(session, _VERIFIED).get(sha)
    return sha if known is not None and known.project_id == project_id else None


def _by_token(session: Session, token: str) -> Actor:
    if not tokens.well_formed(token):
        raise ApiError(401, "令牌格式错误。Malformed app user token.", code="401.2")
    sha = tokens.token_digest(token)
    rows = _TOKEN_ACTOR.run(session, {"sha": sha})
    verified = remembered(session, _VERIFIED)
    if not rows:  # unknown, revoked, or its user deactivated
        verified.pop(sha, None)
        raise ApiError(403, "令牌无效或已撤销，请重新扫码配置。The app user token is unknown or revoked.",
                       code="403.1")
    token_id, project_id, last_used_at, user_id, username, role = rows[0][:6]
    now = utcnow()
    if last_used_at is None or now - last_used_at > TOKEN_TOUCH:
        # A write of its own: upgrading this read transaction fails at once on SQLite when busy.
        begin_write(session)
        session.connection().execute(_TOKEN_USED, {"token_id": token_id, "now": now})
        session.commit()
    info = TokenInfo(token_id, project_id)
    remember(verified, sha, info)
    return Actor(user=Principal(user_id, username, role, _regions(rows, 6)), method="token", token=info)


def _uri_matches(uri: str) -> bool:
    """Does the Digest `uri` name this request? Compared like with like: the path the client sent,
    percent-decoded, against the decoded request path (form ids in Chinese, with spaces or reserved
    characters are sent encoded). An absolute URI must also name this host."""
    parts = urlsplit(uri)
    if parts.scheme or parts.netloc:
        if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() != request.host.lower():
            return False
    path = unquote(parts.path, errors="strict") if "%" in parts.path else parts.path
    return path in (request.path, request.script_root + request.path)


def _write_now(session: Session, statement) -> bool:  # noqa: ANN001
    """Run one write statement (with RETURNING) and make it durable before the request goes on (its own
    transaction; as is in PostgreSQL autocommit mode). True when it returned a row (drivers disagree
    on row counts of INSERT … ON CONFLICT)."""
    if session.in_transaction() and session.get_bind().dialect.name == "postgresql" and \
            session.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return session.connection().execute(statement).first() is not None
    begin_write(session)
    wrote = session.connection().execute(statement).first() is not None
    session.commit()
    return wrote


def _nonce_used(session: Session, creds: digest.DigestCredentials, nc: int) -> bool:
    """Record this use of the nonce; False when the count is not higher than every earlier one (a
    replayed or reordered request). One atomic statement each, so processes and nodes agree."""
    from datetime import datetime, timezone

    from sqlalchemy.dialects import postgresql, sqlite

    table = DigestNonce.__table__
    # The usual case first (Collect reuses its nonce with nc + 1): one UPDATE; a first use: one INSERT.
    if _write_now(session, update(table).where(table.c.nonce == creds.nonce, table.c.last_nc < nc)
                  .values(last_nc=nc).returning(table.c.nonce)):
        return True
    expires = datetime.fromtimestamp(digest.nonce_expiry(creds.nonce), timezone.utc)
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)
    if not _write_now(session, insert.values(nonce=creds.nonce, last_nc=nc, expires_at=expires)
                      .on_conflict_do_nothing(index_elements=[table.c.nonce]).returning(table.c.nonce)):
        return False          # known nonce, count not higher: a replay (or a lost race of two first uses)
    if secrets.randbelow(100) == 0:   # housekeeping: forget expired nonces
        _write_now(session, delete(table).where(table.c.expires_at < utcnow() - timedelta(minutes=5))
                   .returning(table.c.nonce))
    return True


def _refuse_login(session: Session, username: str | None) -> ApiError:
    """Count a failed login (account and address) and answer 401 with fresh challenges."""
    begin_write(session)
    throttle.failed(session, username)
    session.commit()
    return unauthorized("用户名或密码错误。Incorrect username or password.")


def _check_lock(session: Session, username: str) -> None:
    lock = throttle.locked(session, username)
    if lock is not None:
        raise ApiError(429, lock.message(), code="429.1", headers=[("Retry-After", str(lock.retry_after))])


def _by_digest(session: Session, header: str) -> Actor:
    cfg = current_app.config
    creds = digest.parse_authorization(header)
    if creds is None or creds.realm != cfg["AUTH_REALM"]:
        raise unauthorized()
    if creds.opaque is not None and creds.opaque != digest.opaque(cfg["SECRET_KEY"], cfg["AUTH_REALM"]):
        raise unauthorized()
    try:
        matches = _uri_matches(creds.uri)
    except (ValueError, UnicodeDecodeError):
        matches = False
    if not matches:
        raise ApiError(400, "Digest uri 与请求不符。Digest uri does not match the request.", code="400.1")
    state = digest.nonce_state(cfg["SECRET_KEY"], creds.nonce, request.path)
    if state == "invalid":
        raise unauthorized()
    nc = digest.nonce_count(creds)
    if nc is None:
        raise unauthorized()
    _check_lock(session, creds.username)
    user = _active_user(session, creds.username)
    if user is None or not user.digest_ha1 or not digest.verify(creds, user.digest_ha1, request.method):
        raise _refuse_login(session, creds.username)
    if state == "stale" or not _nonce_used(session, creds, nc):
        raise unauthorized(stale=True)        # expired, other path, or a count already seen: a fresh nonce
    return Actor(user=user.principal, method="digest")


class _BasicCache:
    """Recently verified Basic credentials, so argon2 does not run on every request of a session."""

    TTL = 300.0
    MAX = 2048

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, str]] = {}

    def key(self, secret: str, header: str) -> str:
        return hmac.new(secret.encode(), header.encode(), hashlib.sha256).hexdigest()

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] < time.monotonic():
                self._items.pop(key, None)
                return None
            return item[1]

    def put(self, key: str, password_hash: str) -> None:
        with self._lock:
            if len(self._items) >= self.MAX:
                self._items.clear()
            self._items[key] = (time.monotonic() + self.TTL, password_hash)


_basic_cache = _BasicCache()


def _by_basic(session: Session, header: str) -> Actor:
    if not _basic_allowed():
        raise unauthorized("Basic 认证仅限 HTTPS。HTTP Basic authentication is only available over HTTPS.")
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        raise unauthorized() from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise unauthorized()
    _check_lock(session, username)
    user = _active_user(session, username)
    if user is None or not user.password_hash:
        passwords.verify_password(None, password)      # as long as for a real account
        raise _refuse_login(session, username)
    key = _basic_cache.key(current_app.config["SECRET_KEY"], header)
    if _basic_cache.get(key) != user.password_hash:
        if not passwords.verify_password(user.password_hash, password):
            raise _refuse_login(session, username)
        _basic_cache.put(key, user.password_hash)
    return Actor(user=user.principal, method="basic")
