"""Log in and out of the console, and change one's password (server-side sessions, throttled logins,
audited like the API's; see docs/security.md)."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from server.api.auth import end_cookie_session, start_cookie_session
from server.auth import throttle
from server.db import begin_write, get_session
from server.models import User
from server.register import audit

from . import access, bp
from .i18n import t


@bp.get("/")
def index():  # noqa: ANN201
    return redirect(url_for("console.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    from server.auth.passwords import verify_password

    target = request.values.get("next")
    if request.method == "GET":
        return render_template("console/login.html", next=target, error=None,
                               notice=t("login.logged_out") if request.args.get("bye") else None)
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    session = get_session()
    begin_write(session)   # SQLite: the write lock before the reads that decide the writes (no upgrade failure)
    lock = throttle.locked(session, username)
    if lock is not None:
        response = render_template("console/login.html", next=target, error=t("login.locked", minutes=lock.minutes),
                                   notice=None)
        return response, 429, {"Retry-After": str(lock.retry_after)}
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if not verify_password(user.password_hash if user else None, password) or not user.active:
        throttle.failed(session, username)
        audit.record(session, "login.failed", entity_type="user", entity_id=user.id if user else None,
                     after={"username": username, "via": "console", "address": throttle.client_address()})
        session.commit()
        return render_template("console/login.html", next=target, error=t("login.failed"), notice=None), 401
    throttle.succeeded(session, user.username)
    start_cookie_session(user)          # a fresh session: no state carried over from before login
    access.rotate_csrf()
    audit.record(session, "login", actor=user, entity_type="user", entity_id=user.id, after={"via": "console"})
    session.commit()
    default = url_for("console.dashboard") if user.role != "collector" else url_for("console.households")
    destination = request.script_root + access.safe_next(target, default[len(request.script_root):])
    if user.must_change_password:
        return redirect(url_for("console.change_password", next=destination))
    return redirect(destination)


@bp.post("/logout")
def logout():  # noqa: ANN201
    user = access.console_user()
    end_cookie_session()
    if user is not None:
        audit.record(get_session(), "logout", actor=user, entity_type="user", entity_id=user.id,
                     after={"via": "console"})
    get_session().commit()
    return redirect(url_for("console.login", bye=1))


@bp.route("/password", methods=["GET", "POST"])
def change_password():  # noqa: ANN201
    """Change one's own password; required before anything else after a demo or reset password."""
    from server.accounts import set_password
    from server.auth.passwords import MIN_LENGTH, WeakPassword, verify_password

    user = access.console_user()
    if user is None:
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    target = request.values.get("next")

    def page(error: str | None, status: int = 200):  # noqa: ANN202
        return render_template("console/password.html", next=target, error=error, forced=user.must_change_password,
                               min_length=MIN_LENGTH), status

    if request.method == "GET":
        return page(None)
    session = get_session()
    current = request.form.get("current_password") or ""
    new = request.form.get("new_password") or ""
    lock = throttle.locked(session, user.username)
    if lock is not None:
        return page(t("login.locked", minutes=lock.minutes), 429)
    if not verify_password(user.password_hash, current):
        throttle.failed(session, user.username)
        audit.record(session, "login.failed", actor=user, entity_type="user", entity_id=user.id,
                     after={"username": user.username, "via": "console.password"})
        session.commit()
        return page(t("password.wrong_current"), 403)
    if new != (request.form.get("confirm_password") or ""):
        return page(t("password.mismatch"), 422)
    if new == current:
        return page(t("password.same"), 422)
    try:
        set_password(current_app, user, new)        # ends every session of the user, this one too
    except WeakPassword as exc:
        return page(str(exc), 422)
    audit.record(session, "user.password", actor=user, entity_type="user", entity_id=user.id,
                 after={"via": "console", "by": "self"})
    start_cookie_session(user)                      # … and this browser continues in a new one
    access.rotate_csrf()
    session.commit()
    from flask import flash
    flash(t("password.changed"), "ok")
    default = url_for("console.dashboard") if user.role != "collector" else url_for("console.households")
    return redirect(request.script_root + access.safe_next(target, default[len(request.script_root):]))
