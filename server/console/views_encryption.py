"""Encryption page (county staff and admins): each project in scope with its managed encryption —
turn it on (passphrase twice), unlock the key for a bounded time (passphrase), lock it — and the
submissions waiting for decryption. The services are ``server.encryption`` (role, region and audit
checked there too)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.db import get_session
from server.models import Project
from server.roles import may_act_in

from . import access, bp, wording
from .i18n import t


def _projects(user) -> list[Project]:  # noqa: ANN001
    rows = get_session().scalars(select(Project).order_by(Project.id)).all()
    return [p for p in rows if may_act_in(user.region_codes, user.role, p.region_code)]


def _project(user, project_id: int) -> Project:  # noqa: ANN001
    project = get_session().get(Project, project_id)
    if project is None or not may_act_in(user.region_codes, user.role, project.region_code):
        abort(404)
    return project


@bp.get("/encryption")
@access.login_required("admin", "county")
def encryption():  # noqa: ANN201
    from server.encryption import MAX_UNLOCK_MINUTES, status
    user = access.console_user()
    session = get_session()
    rows = [(p, status(session, p.id)) for p in _projects(user)]
    return render_template("console/encryption.html", rows=rows, max_minutes=MAX_UNLOCK_MINUTES)


def _run(project_id: int, action):  # noqa: ANN001, ANN202
    from server.encryption import EncryptionError
    from server.odk_crypto import CryptoError
    user = access.console_user()
    session = get_session()
    project = _project(user, project_id)
    try:
        message = action(session, project, user)
        session.commit()
        flash(message, "ok")
    except (EncryptionError, CryptoError) as exc:
        session.rollback()
        flash(wording.in_language(str(exc)), "error")
    return redirect(url_for("console.encryption"))


@bp.post("/encryption/<int:project_id>/encrypt")
@access.login_required("admin", "county")
def encrypt_project(project_id: int):  # noqa: ANN201
    from server.encryption import EncryptionError, encrypt_project as encrypt
    from server.storage import get_blobs

    def action(session, project, user):  # noqa: ANN001, ANN202
        passphrase = request.form.get("passphrase", "")
        if passphrase != request.form.get("confirm", ""):
            raise EncryptionError(t("enc.mismatch"))
        _, versions = encrypt(session, get_blobs(), project, passphrase, user)
        return t("enc.encrypted", project=project.name, n=len(versions))
    return _run(project_id, action)


@bp.post("/encryption/<int:project_id>/unlock")
@access.login_required("admin", "county")
def unlock_key(project_id: int):  # noqa: ANN201
    from server.encryption import unlock

    def action(session, project, user):  # noqa: ANN001, ANN202
        try:
            minutes = int(request.form.get("minutes", "60"))
        except ValueError:
            minutes = 0
        row = unlock(session, current_app.config["SECRET_KEY"], project, request.form.get("passphrase", ""), user,
                     minutes)
        return t("enc.unlocked", project=project.name, until=row.expires_at.strftime("%Y-%m-%d %H:%M UTC"))
    return _run(project_id, action)


@bp.post("/encryption/<int:project_id>/lock")
@access.login_required("admin", "county")
def lock_key(project_id: int):  # noqa: ANN201
    from server.encryption import lock

    def action(session, project, user):  # noqa: ANN001, ANN202
        lock(session, project, user)
        return t("enc.locked", project=project.name)
    return _run(project_id, action)
