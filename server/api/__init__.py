"""The REST API (JSON) under /api/v1: regions, users, households, members, submissions, assessments,
workflow cases and transitions, department comparison imports, jobs. See docs/api.md."""
from flask import Blueprint, current_app, g

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _password_change_first() -> None:
    from .auth import enforce_password_change
    enforce_password_change()


@bp.after_request
def _personal_data(response):  # noqa: ANN001, ANN202
    """Every API response may carry personal data: never stored by a cache; and for the roles that do
    not see it in full (server.roles.SEES_PERSONAL_DATA), 证件号码, phone and bank numbers are masked
    in the JSON body, whatever the endpoint (the console masks the same way)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Pragma", "no-cache")
    user = g.get("api_user")
    if user is not None and response.is_json and not response.direct_passthrough:
        from server.roles import sees_personal_data
        if not sees_personal_data(user.role):
            from exports.masking import mask_personal
            data = response.get_json(silent=True)
            if data is not None:
                masked = mask_personal(data)
                if masked != data:
                    response.set_data(current_app.json.dumps(masked))
    return response

from . import accounts, cases, comparison, held, households, openapi  # noqa: E402,F401  (routes)
