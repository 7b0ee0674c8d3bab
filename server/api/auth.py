"""REST API authentication and authorization: bearer tokens or a session cookie, then role + region.

``POST /api/v1/session`` with username and password returns a signed, expiring bearer token (and sets
the session cookie). A token dies when the user's password changes or the user is deactivated.
Objects outside the caller's regions answer 404, never revealing that they exist.
"""
from __future__ import annotations

import hashlib
from functools import wraps

from flask import current_app, g, session as cookie
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from server.db import get_session
from server.errors import ApiError
from server.models import User
from server.roles import may_act_in

SALT = "shoudi-api-token"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def issue_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def _user_from_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=int(current_app.config.get("API_TOKEN_HOURS", 12)) * 3600)
    except SignatureExpired:
        raise ApiError(401, "登录已过期，请重新登录。Token expired.", code="auth.expired") from None
    except BadSignature:
        return None
    user = get_session().get(User, data.get("uid"))
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        return None
    return user


def _check_cross_site(request) -> None:  # noqa: ANN001
    """A cookie-authenticated write must be one a browser only sends after a CORS preflight: a JSON
    body or an ``X-Requested-With`` header. A plain cross-site form post is refused (CSRF)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.path.startswith("/api/"):
        return                 # pages outside the API (the console) carry their own CSRF token
    if request.is_json or request.headers.get("X-Requested-With"):
        return
    raise ApiError(403, "跨站请求被拒绝。Cross-site request refused: send JSON or X-Requested-With.",
                   code="auth.csrf")


def current_user() -> User:
    """The authenticated user of this request, or 401."""
    if "api_user" in g:
        return g.api_user
    from flask import request

    header = request.headers.get("Authorization", "")
    user = None
    if header.lower().startswith("bearer "):
        user = _user_from_token(header[7:].strip())
        if user is None:
            raise ApiError(401, "令牌无效。Invalid token.", code="auth.invalid_token")
    elif cookie.get("uid") is not None:
        candidate = get_session().get(User, cookie["uid"])
        if candidate is not None and candidate.active and cookie.get("fp") == _fingerprint(candidate):
            user = candidate
            _check_cross_site(request)
    if user is None:
        raise ApiError(401, "请登录。Authentication required.", code="auth.required")
    g.api_user = user
    return user


def require(*roles: str):
    """Decorator: the caller must be logged in and (when given) hold one of ``roles``."""
    def decorator(view):  # noqa: ANN001, ANN202
        @wraps(view)
        def wrapper(*args, **kwargs):  # noqa: ANN202
            user = current_user()
            if roles and user.role not in roles:
                raise ApiError(403, "您的角色无权执行此操作。Your role may not do this.", code="auth.role",
                               details={"allowed_roles": list(roles)})
            return view(*args, **kwargs)
        return wrapper
    return decorator


def check_region(region_code: str | None, *, not_found: str = "not_found") -> None:
    """404 when the object's region lies outside the caller's regions."""
    from server.roles import is_region_code
    user = current_user()
    if (region_code is None or not is_region_code(region_code)
            or not may_act_in(user.region_codes, user.role, region_code)):
        raise ApiError(404, "未找到。Not found.", code=not_found)
