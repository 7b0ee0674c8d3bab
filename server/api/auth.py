"""REST API authentication and authorization: bearer tokens or a session cookie, then role + region.

``POST /api/v1/session`` with username and password returns a bearer token (and sets the session
cookie). Both are server-side sessions (``server.auth.sessions``): ``DELETE /api/v1/session`` ends
them, and a password change or disabling the user ends every one of them. Logins are throttled per
account and address (``server.auth.throttle``). A user whose password must be changed (demo or reset
password) gets only ``/me`` and ``POST /me/password``; everything else answers 403
``auth.password_change_required``. Objects outside the caller's regions answer 404, never revealing
that they exist.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request, session as cookie

from server.auth import sessions
from server.db import get_session
from server.errors import ApiError
from server.models import User
from server.roles import may_act_in

COOKIE_KEY = "sid"
# What a user with a password still to change may do (endpoint names).
PASSWORD_CHANGE_ENDPOINTS = frozenset({"api.me", "api.change_password", "api.logout", "api.login",
                                       "console.change_password", "console.logout", "console.login"})


def issue_token(user: User) -> str:
    """A new API session for `user`: the bearer token."""
    return sessions.start(get_session(), user, "api", hours=current_app.config["API_TOKEN_HOURS"],
                          address=request.remote_addr)


def start_cookie_session(user: User) -> None:
    """A new console session in the cookie (anything carried over from before login is dropped)."""
    lang = cookie.get("lang")
    end_cookie_session()
    if lang:
        cookie["lang"] = lang
    cookie[COOKIE_KEY] = sessions.start(get_session(), user, "console", hours=current_app.config["SESSION_HOURS"],
                                        address=request.remote_addr)


def end_cookie_session() -> None:
    """Revoke the cookie's session server-side and clear the cookie (keeps the language)."""
    sessions.revoke(get_session(), cookie.get(COOKIE_KEY))
    lang = cookie.get("lang")
    cookie.clear()
    if lang:
        cookie["lang"] = lang


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _check_cross_site(request) -> None:  # noqa: ANN001
    """A cookie-authenticated write must be one a browser only sends after a CORS preflight: a JSON
    body or an ``X-Requested-With`` header. A plain cross-site form post is refused (CSRF)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.path.startswith("/api/"):
        return                 # pages outside the API (the console) carry their own CSRF token
    if request.is_json or request.headers.get("X-Requested-With"):
        return
    raise ApiError(403, "跨站请求被拒绝。Cross-site request refused: send JSON or X-Requested-With.",
                   code="auth.csrf")


def authenticated_user() -> User | None:
    """The user of this request's bearer token or console cookie (live session, active user), or None."""
    if "api_user" in g:
        return g.api_user
    session = get_session()
    token = bearer_token()
    user = None
    if token is not None:
        uid = sessions.user_id_for(session, token, "api")
        if uid is None:
            raise ApiError(401, "令牌无效、已过期或已注销，请重新登录。Invalid, expired or revoked token.",
                           code="auth.invalid_token")
        user = session.get(User, uid)
    elif cookie.get(COOKIE_KEY):
        uid = sessions.user_id_for(session, cookie[COOKIE_KEY], "console")
        if uid is not None:
            user = session.get(User, uid)
            _check_cross_site(request)
    if user is not None:
        g.api_user = user
    return user


def _password_change_required() -> ApiError:
    return ApiError(403, "请先修改初始密码（POST /api/v1/me/password）。"
                         "Change your initial password first (POST /api/v1/me/password).",
                    code="auth.password_change_required")


def enforce_password_change() -> None:
    """before_request of the API and exports: a user whose password must be changed may do nothing
    else, whatever the endpoint checks first."""
    try:
        user = authenticated_user()
    except ApiError:
        return                    # the view answers for a bad token
    if user is not None and user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        raise _password_change_required()


def current_user() -> User:
    """The authenticated user of this request, or 401; 403 while the password must be changed."""
    user = authenticated_user()
    if user is None:
        raise ApiError(401, "请登录。Authentication required.", code="auth.required")
    if user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        raise _password_change_required()
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
