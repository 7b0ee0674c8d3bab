"""Admin page for collectors' device tokens (ODK Central's app users): issue a token for a user and a
project and show the ODK Collect settings QR code (made here with segno, shown once), list, revoke.
The services are ``server.accounts.issue_token`` / ``revoke_token`` and ``server.collect_config``, the
same the CLI's ``shoudi collect-config`` and ``shoudi tokens`` use; every issue and revoke is audited."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.db import get_session
from server.models import AppToken, Project, User
from server.register import audit

from . import access, bp, wording
from .i18n import t

TOKENS_PER_PAGE = 100


def _base_url() -> str:
    """The base URL phones use: SHOUDI_PUBLIC_URL, else the address the admin opened the console by."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def _is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def _page(issued: dict | None = None, status: int = 200):  # noqa: ANN202
    from .queries import page, page_number

    session = get_session()
    query = select(AppToken).order_by(AppToken.revoked_at.is_not(None), AppToken.id.desc())
    page_no = page_number(request.args.get("page"))
    rows, total = page(session, query, page_no, TOKENS_PER_PAGE)
    pages = max((total + TOKENS_PER_PAGE - 1) // TOKENS_PER_PAGE, 1)
    projects = {p.id: p for p in session.scalars(select(Project).order_by(Project.id))}
    collectors = list(session.scalars(select(User).where(User.active.is_(True), User.role == "collector")
                                      .order_by(User.username)))
    return render_template("console/tokens.html", tokens=rows, total=total, page=page_no, pages=pages,
                           projects=projects, collectors=collectors, issued=issued,
                           typed=request.form if request.method == "POST" and not issued else {}), status


@bp.get("/tokens")
@access.login_required("admin")
def tokens():  # noqa: ANN201
    return _page()


@bp.post("/tokens")
@access.login_required("admin")
def issue_device_token():  # noqa: ANN201
    from server import collect_config as cc
    from server.accounts import AccountError, issue_token, projects_for

    session = get_session()
    form = request.form
    try:
        user = session.get(User, int(form.get("user_id") or 0))
        project_id = int(form.get("project_id") or 0)
    except ValueError:
        abort(400)
    if user is None:
        abort(404)
    project = next((p for p in projects_for(session, user) if p.id == project_id), None)
    if project is None:
        flash(t("tokens.no_project"), "error")
        return _page(status=422)
    label = (form.get("label") or "").strip()[:128] or f"console {user.username}"
    try:
        issued = issue_token(session, user, project, label)
    except AccountError as exc:
        session.rollback()
        flash(wording.in_language(str(exc)), "error")
        return _page(status=422)
    audit.record(session, "token.issue", actor=access.console_user(), entity_type="app_token",
                 entity_id=issued.row.id, region_code=project.region_code,
                 after={"user": user.username, "project": project.id, "label": label, "via": "console"})
    session.commit()
    base = _base_url()
    config = cc.settings(f"{base}/v1/key/{issued.token}/projects/{project.id}", project.name)
    code = cc.qr(cc.encode(config))
    # the token is on this response only (never in a flash cookie, a URL or a log)
    shown = {"id": issued.row.id, "username": user.username, "project": project.name,
             "png": code.png_data_uri(scale=8, border=4), "server_url": config["general"]["server_url"],
             "loopback": _is_loopback(base)}
    return _page(issued=shown)


@bp.post("/tokens/<int:token_id>/revoke")
@access.login_required("admin")
def revoke_device_token(token_id: int):  # noqa: ANN201
    from server.accounts import revoke_token

    session = get_session()
    row = access.get_or_404(session, AppToken, token_id)
    reason = (request.form.get("reason") or "").strip()[:500]
    if request.form.get("confirm") != "1" or not reason:      # a negative action: confirmed, with a reason
        flash(t("tokens.revoke_confirm_needed"), "error")
        return redirect(url_for("console.tokens"))
    was_active = row.revoked_at is None
    revoke_token(session, token_id)
    if was_active:
        audit.record(session, "token.revoke", actor=access.console_user(), entity_type="app_token",
                     entity_id=row.id, before={"active": True},
                     after={"active": False, "user": row.user.username, "reason": reason})
    session.commit()
    flash(t("tokens.revoked_msg", username=row.user.username, id=row.id), "ok")
    return redirect(url_for("console.tokens"))
