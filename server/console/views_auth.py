"""Log in and out of the console (the API's session cookie; logins are audited like the API's)."""
from __future__ import annotations

from flask import redirect, render_template, request, session as cookie, url_for
from sqlalchemy import select

from server.db import get_session
from server.models import User
from server.register import audit

from . import access, bp
from .i18n import t


@bp.get("/")
def index():  # noqa: ANN201
    return redirect(url_for("console.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    from server.api.auth import _fingerprint
    from server.auth.passwords import verify_password

    target = request.values.get("next")
    if request.method == "GET":
        return render_template("console/login.html", next=target, error=None,
                               notice=t("login.logged_out") if request.args.get("bye") else None)
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    session = get_session()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active or not verify_password(user.password_hash, password):
        audit.record(session, "login.failed", entity_type="user", entity_id=user.id if user else None,
                     after={"username": username, "via": "console"})
        session.commit()
        return render_template("console/login.html", next=target, error=t("login.failed"), notice=None), 401
    lang = cookie.get("lang")
    cookie.clear()                      # a fresh session: no state carried over from before login
    if lang:
        cookie["lang"] = lang
    cookie["uid"], cookie["fp"] = user.id, _fingerprint(user)
    access.rotate_csrf()
    audit.record(session, "login", actor=user, entity_type="user", entity_id=user.id, after={"via": "console"})
    session.commit()
    default = url_for("console.dashboard") if user.role != "collector" else url_for("console.households")
    return redirect(request.script_root + access.safe_next(target, default[len(request.script_root):]))


@bp.post("/logout")
def logout():  # noqa: ANN201
    user = access.console_user()
    lang = cookie.get("lang")
    cookie.clear()
    if lang:
        cookie["lang"] = lang
    if user is not None:
        audit.record(get_session(), "logout", actor=user, entity_type="user", entity_id=user.id,
                     after={"via": "console"})
        get_session().commit()
    return redirect(url_for("console.login", bye=1))
