"""Who is making this request: an app-user token, HTTP Digest, or HTTP Basic (HTTPS only by default).

Failures raise `ApiError` 401 carrying `WWW-Authenticate` challenges (Digest always, Basic when the
request came over HTTPS), so Collect can log in with a username and password — unlike ODK Central.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from server.auth import digest, passwords, tokens
from server.db import begin_write
from server.errors import ApiError
from server.models import AppToken, Project, User, utcnow
from server.roles import may_act_in, region_contains


@dataclass
class Actor:
    user: User
    method: str                      # "token", "digest" or "basic"
    token: AppToken | None = None

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


def challenges(*, stale: bool = False) -> list[tuple[str, str]]:
    cfg = current_app.config
    domain = (request.script_root or "") + "/v1/"
    headers = [("WWW-Authenticate", digest.challenge(cfg["SECRET_KEY"], cfg["AUTH_REALM"], domain, stale=stale))]
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


def _active_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).options(joinedload(User.regions))
                           .where(User.username == username, User.active.is_(True))).unique().first()


def _by_token(session: Session, token: str) -> Actor:
    if not tokens.well_formed(token):
        raise ApiError(401, "令牌格式错误。Malformed app user token.", code="401.2")
    row = session.scalars(
        select(AppToken).options(joinedload(AppToken.user).joinedload(User.regions))
        .where(AppToken.token_sha256 == tokens.token_digest(token), AppToken.revoked_at.is_(None))).unique().first()
    if row is None or not row.user.active:
        raise ApiError(403, "令牌无效或已撤销，请重新扫码配置。The app user token is unknown or revoked.",
                       code="403.1")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=10):
        # A write of its own: upgrading this read transaction fails at once on SQLite when busy.
        begin_write(session)
        session.execute(update(AppToken).where(AppToken.id == row.id).values(last_used_at=now))
        session.commit()
    return Actor(user=row.user, method="token", token=row)


def _by_digest(session: Session, header: str) -> Actor:
    cfg = current_app.config
    creds = digest.parse_authorization(header)
    if creds is None or creds.realm != cfg["AUTH_REALM"]:
        raise unauthorized()
    if creds.opaque is not None and creds.opaque != digest.opaque(cfg["SECRET_KEY"], cfg["AUTH_REALM"]):
        raise unauthorized()
    state = digest.nonce_state(cfg["SECRET_KEY"], creds.nonce)
    if state == "invalid":
        raise unauthorized()
    uri_path = creds.uri.split("?", 1)[0]
    if uri_path not in (request.path, request.script_root + request.path) and \
            not creds.uri.startswith(("http://", "https://")):
        raise ApiError(400, "Digest uri does not match the request.", code="400.1")
    user = _active_user(session, creds.username)
    if user is None or not user.digest_ha1 or not digest.verify(creds, user.digest_ha1, request.method):
        raise unauthorized("用户名或密码错误。Incorrect username or password.")
    if state == "stale":
        raise unauthorized(stale=True)
    return Actor(user=user, method="digest")


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
    user = _active_user(session, username)
    if user is None or not user.password_hash:
        passwords.verify_password(None, password)
        raise unauthorized("用户名或密码错误。Incorrect username or password.")
    key = _basic_cache.key(current_app.config["SECRET_KEY"], header)
    if _basic_cache.get(key) != user.password_hash:
        if not passwords.verify_password(user.password_hash, password):
            raise unauthorized("用户名或密码错误。Incorrect username or password.")
        _basic_cache.put(key, user.password_hash)
    return Actor(user=user, method="basic")
