"""The staff console (``/console``): HTML pages for township reviewers, county staff and admins.

Server-rendered Jinja pages over the register's services; zh-CN by default, English with
``?lang=en`` (remembered in the session); CSRF token on every POST; role and region checked on
every page by the API's helpers. See docs/console.md.
"""
from flask import Blueprint, g, render_template, request, session as cookie
from sqlalchemy.exc import DataError

from server.errors import ApiError

from . import access
from .i18n import JINJA_HELPERS, LANGS, has, t

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")


@bp.record_once
def _cookie_defaults(state) -> None:  # noqa: ANN001
    # The console keeps its login in Flask's signed session cookie: never sent cross-site on POSTs.
    if state.app.config.get("SESSION_COOKIE_SAMESITE") is None:
        state.app.config["SESSION_COOKIE_SAMESITE"] = "Lax"


@bp.before_request
def _language_and_csrf() -> None:
    wanted = request.args.get("lang")
    if wanted in LANGS:
        cookie["lang"] = wanted
    g.lang = cookie.get("lang", "zh") if cookie.get("lang") in LANGS else "zh"
    access.check_csrf()


@bp.after_request
def _headers(response):  # noqa: ANN001, ANN202
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_template_global()
def csrf_field():  # noqa: ANN201
    from markupsafe import Markup, escape
    return Markup(f'<input type="hidden" name="{access.CSRF_FIELD}" value="{escape(access.csrf_token())}">')


@bp.app_template_global()
def favicon_uri() -> str:
    """The icon inline (static/favicon.svg as a data: URI): no extra request on every page, which a
    browser would otherwise start and abandon on each navigation."""
    global _FAVICON
    if _FAVICON is None:
        from pathlib import Path
        from urllib.parse import quote
        svg = (Path(__file__).parent / "static" / "favicon.svg").read_text(encoding="utf-8").strip()
        _FAVICON = "data:image/svg+xml," + quote(svg, safe=" :/=,#.'()-")
    return _FAVICON


_FAVICON: str | None = None


@bp.app_template_global()
def lang_url(code: str) -> str:
    """This page in language ``code`` (other query parameters kept)."""
    from flask import url_for
    args = {**request.args.to_dict(), "lang": code}
    if request.endpoint and request.method == "GET":
        return url_for(request.endpoint, **(request.view_args or {}), **args)
    return url_for("console.index", lang=code)


@bp.app_template_global()
def in_scope(code: str) -> bool:
    """May the current user open pages of region ``code``? (for breadcrumb links)"""
    from server.roles import may_act_in
    user = access.console_user()
    return user is not None and may_act_in(user.region_codes, user.role, code)


@bp.app_template_filter("num")
def number(value) -> str:  # noqa: ANN001
    """12345.0 → "12,345"; 2833.333 → "2,833.33"."""
    from .charts import format_number
    try:
        return format_number(float(value))
    except (TypeError, ValueError):
        return "—" if value is None else str(value)


@bp.app_template_filter("when")
def china_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:  # noqa: ANN001
    """A stored (UTC) timestamp shown in China's time (UTC+8), the zone the workflow's dates use."""
    from datetime import timezone

    from server.workflow.calendar import CHINA
    if not value:                       # None, or a missing attribute (Jinja's Undefined)
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(CHINA).strftime(fmt)


@bp.app_template_filter("kv")
def key_values(value) -> str:  # noqa: ANN001
    """A dict as ``key: value; …`` (non-ASCII kept readable) for the audit trail."""
    import json
    if not value:
        return ""
    if not isinstance(value, dict):
        return str(value)
    return "; ".join(f"{k}: {v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)}"
                     for k, v in value.items())


@bp.context_processor
def _helpers() -> dict:
    from . import wording
    return {**JINJA_HELPERS, "me": access.console_user(), "csrf_token": access.csrf_token,
            "job_message": wording.job_message, "job_error": wording.job_error,
            "warning_source": wording.warning_source, "warning_detail": wording.warning_detail,
            "audit_detail": wording.audit_detail, "actor_label": wording.actor}


def _error_page(status: int, key: str, detail: str | None = None):  # noqa: ANN202
    return render_template("console/error.html", status=status, message=t(key), detail=detail), status


def _outside_error(exc):  # noqa: ANN001, ANN202
    """404/405 for a URL no view matched: the console's Chinese page under /console/, the API's answer
    (JSON or OpenRosa XML, server/errors.py) everywhere else."""
    from server.errors import render

    status = getattr(exc, "code", None) or 404
    if request.path == "/console" or request.path.startswith("/console/"):
        wanted = request.args.get("lang")
        g.lang = wanted if wanted in LANGS else (cookie.get("lang") if cookie.get("lang") in LANGS else "zh")
        return render_template("console/error.html", status=status, message=t(f"error.{status}" if has(f"error.{status}") else "error.404"),
                               detail=None, **_helpers()), status
    response = render(status, exc.description or exc.name)      # as server/errors.py's HTTPException handler
    for key, value in (exc.get_headers() or []):
        if key.lower() not in {"content-type", "content-length"}:
            response.headers[key] = value
    return response


@bp.record_once
def _unmatched_urls(state) -> None:  # noqa: ANN001
    state.app.register_error_handler(404, _outside_error)
    state.app.register_error_handler(405, _outside_error)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):  # noqa: ANN202
    if exc.status == 401:
        from flask import redirect, url_for
        return redirect(url_for("console.login"))
    key = f"error.{exc.status}" if has(f"error.{exc.status}") else "error.400"
    return _error_page(exc.status, key, exc.message if exc.status in (409, 422) else None)


@bp.errorhandler(DataError)
@bp.errorhandler(OverflowError)
def _bad_value(_exc: Exception):  # noqa: ANN202
    """A value the database refuses (server/guards.py does the same for the other blueprints)."""
    return _error_page(400, "error.400")


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):  # noqa: ANN202
    """Other HTTP errors keep their status; anything else is logged (type only) and shown as 500."""
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return _error_page(status, f"error.{status}" if has(f"error.{status}") else "error.400")
    import logging
    logging.getLogger("shoudi.console").exception("unhandled %s on %s", type(exc).__name__, request.endpoint)
    return _error_page(500, "error.500")


@bp.errorhandler(400)
def _bad_request(exc):  # noqa: ANN001, ANN202
    return _error_page(400, "error.csrf" if getattr(exc, "description", "") == "csrf" else "error.400")


@bp.errorhandler(403)
def _forbidden(_exc):  # noqa: ANN001, ANN202
    return _error_page(403, "error.403")


@bp.errorhandler(404)
def _not_found(_exc):  # noqa: ANN001, ANN202
    return _error_page(404, "error.404")


from . import (views_actions, views_admin, views_auth, views_dashboard, views_encryption, views_held,  # noqa: E402,F401
               views_households, views_jobs, views_tokens)
