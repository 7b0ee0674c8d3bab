"""Who is using the console, and what they may do: the API's session cookie and role/region checks
(``server.api.auth``), redirects to the login page, and CSRF tokens for every POST form.

Pages never decide scope themselves: region checks raise the API's 404 (``check_region``), lists
filter with ``server.register.scope.region_condition``.
"""
from __future__ import annotations

import hmac
import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, redirect, request, session as cookie, url_for

from server.api.auth import authenticated_user, check_region
from server.errors import ApiError
from server.roles import SEES_PERSONAL_DATA, sees_personal_data

# Roles that see members' full 证件号码 on the household page (everyone else sees them masked):
# the reviewers who check the documents (one rule for every channel: server.roles). Lists never show
# full numbers.
SEES_ID_NUMBERS = SEES_PERSONAL_DATA
STAFF = ("collector", "village", "township", "county", "admin")
CSRF_FIELD = "csrf_token"

__all__ = ["SEES_ID_NUMBERS", "STAFF", "CSRF_FIELD", "check_region", "console_user", "login_required",
           "csrf_token", "check_csrf", "safe_next", "sees_id_numbers", "checked_region"]


def console_user():  # noqa: ANN201
    """The logged-in user (live server-side session), or None."""
    try:
        return authenticated_user()
    except ApiError:
        return None


def login_required(*roles: str):
    """Decorator: redirect to the login page when nobody is logged in; 403 for other roles."""
    def decorator(view):  # noqa: ANN001, ANN202
        @wraps(view)
        def wrapper(*args, **kwargs):  # noqa: ANN202
            user = console_user()
            if user is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if user.must_change_password:     # demo or reset password: nothing else until it is changed
                return redirect(url_for("console.change_password", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


def checked_region(code: str | None) -> str:
    """``code`` when it is a valid region code inside the user's regions; the API's 404 otherwise."""
    from server.roles import level_of

    try:
        level_of(code or "")
    except ValueError:
        code = None
    check_region(code)
    return code


def sees_id_numbers(user) -> bool:  # noqa: ANN001
    return user is not None and sees_personal_data(user.role)


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = cookie.get("csrf")
    if not token:
        token = cookie["csrf"] = secrets.token_urlsafe(32)
    return token


def rotate_csrf() -> None:
    cookie["csrf"] = secrets.token_urlsafe(32)


def check_csrf() -> None:
    """400 unless a POST carries this session's token (form field or ``X-CSRF-Token``)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    expected = cookie.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="csrf")


def safe_next(target: str | None, default: str) -> str:
    """Only paths inside the console are redirect targets (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console") or target.startswith("//"):
        return default
    return target


def get_or_404(session, model, key):  # noqa: ANN001, ANN201
    """The row of ``model`` with primary key ``key``, or the console's 404 page."""
    from flask import abort
    row = session.get(model, key)
    if row is None:
        abort(404)
    return row
