"""Stable error codes of the REST API (the ``code`` of every JSON problem body)."""
from __future__ import annotations

from marshmallow import ValidationError

from server.errors import ApiError

CODES = {
    "auth.required": "no credentials", "auth.invalid_token": "token not accepted", "auth.expired": "token expired",
    "auth.login_failed": "username or password wrong", "auth.role": "role may not do this",
    "auth.csrf": "cookie-authenticated write without JSON or X-Requested-With",
    "not_found": "no such object in your regions", "validation": "request body or query invalid",
    "transition.refused": "workflow step refused (see details.reasons)", "case.conflict": "case cannot be opened",
    "region.invalid": "region file invalid (see details.errors)", "region.outside": "region outside your regions",
    "comparison.invalid": "department file or mapping invalid", "user.invalid": "user data invalid",
    "policy.missing": "no scoring policy for the region and year",
    "hold.decided": "held submission already decided", "hold.scope": "held submission concerns regions outside yours",
    "auth.locked": "too many failed logins: account or address locked for a while (Retry-After)",
    "auth.password_change_required": "demo or reset password: change it first (POST /me/password)",
    "auth.wrong_password": "current password wrong", "user.weak_password": "password fails the password policy",
}


def problem(status: int, code: str, message: str, details: dict | None = None,
            headers: list[tuple[str, str]] | None = None) -> ApiError:
    assert code in CODES, code
    return ApiError(status, message, code=code, details=details, headers=headers)


def load(schema, data) -> dict:  # noqa: ANN001
    """Validate input with a marshmallow schema; 422 with the field messages otherwise."""
    try:
        return schema.load(data if data is not None else {})
    except ValidationError as exc:
        raise problem(422, "validation", "请求数据无效。Invalid request data.", {"fields": exc.messages}) from None
