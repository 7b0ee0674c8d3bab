"""Admin pages: users (list, add, disable, region bindings — audited) and forms (open/closing/closed).
The services are ``server.accounts`` and ``server.publishing``; county staff may view the users
bound inside their county (as ``GET /api/v1/users``)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.db import get_session
from server.models import FORM_STATES, Form, User, UserRegion
from server.register import audit
from server.register.scope import region_condition
from server.roles import ROLE_CODES

from . import access, bp, wording
from .i18n import keyed, t


USERS_PER_PAGE = 100


def _users(session, user):  # noqa: ANN001, ANN202
    query = select(User).order_by(User.id)
    if user.role != "admin":
        inside = select(UserRegion.user_id).where(region_condition(UserRegion.region_code, user.role,
                                                                   user.region_codes))
        query = query.where(User.id.in_(inside))
    return query


@bp.get("/users")
@access.login_required("admin", "county")
def users(status: int = 200):  # noqa: ANN201
    user = access.console_user()
    session = get_session()
    from server.models import Region
    from .queries import page, page_number
    query = _users(session, user)
    page_no = page_number(request.args.get("page"))
    rows, total = page(session, query, page_no, USERS_PER_PAGE)
    pages = max((total + USERS_PER_PAGE - 1) // USERS_PER_PAGE, 1)
    if page_no > pages:
        page_no = pages
        rows, total = page(session, query, page_no, USERS_PER_PAGE)
    codes = {c for u in rows for c in u.region_codes}
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()) if codes else {}
    from server.auth import throttle
    locks = throttle.locks(session) if user.role == "admin" else []
    locked_users = {key for scope, key, _ in locks if scope == throttle.USER}
    regions = _region_choices(session) if user.role == "admin" else []
    typed = request.form if request.method == "POST" and request.endpoint == "console.add_user" else {}
    return render_template("console/users.html", users=rows, names=names, roles=ROLE_CODES,
                           may_edit=user.role == "admin", locks=locks, locked_users=locked_users,
                           account_key=throttle.account_key, total=total, page=page_no, pages=pages,
                           regions=regions, typed=typed), status


def _region_choices(session) -> list[tuple[str, list[tuple[str, str]]]]:  # noqa: ANN001
    """Regions to bind users to, grouped for the picker: [(group name, [(code, label)])] — each county
    with its townships, then each township with its villages (every one; the page's search box filters)."""
    from server.models import Region

    rows = session.execute(select(Region.code, Region.name, Region.level, Region.parent_code)
                           .where(Region.level.in_(("county", "township", "village"))).order_by(Region.code)).all()
    names = {code: name for code, name, _l, _p in rows}
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, level, parent in rows:
        if level == "county":
            groups.setdefault(code, []).insert(0, (code, name))
        else:
            groups.setdefault(parent or "", []).append((code, name))
    return [(names.get(parent, parent), options) for parent, options in groups.items()]


def _codes(text: str) -> list[str]:
    return [c for c in text.replace(",", " ").replace("，", " ").split() if c]


@bp.post("/users")
@access.login_required("admin")
def add_user():  # noqa: ANN201
    from flask import current_app

    from server.accounts import AccountError, create_user
    from server.auth.passwords import WeakPassword

    form = request.form
    session = get_session()
    codes = list(dict.fromkeys(_codes(" ".join(form.getlist("region_codes")))
                               + [c for c in form.getlist("region_pick") if c]))
    try:
        created = create_user(session, current_app, (form.get("username") or "").strip(), role=form.get("role", ""),
                              password=form.get("password") or "", region_codes=codes,
                              display_name=(form.get("display_name") or "").strip()[:128])
    except (AccountError, WeakPassword) as exc:
        session.rollback()
        flash(wording.in_language(str(exc)), "error")
        return users(status=422)        # the form keeps what was typed (except the password)
    audit.record(session, "user.create", actor=access.console_user(), entity_type="user", entity_id=created.id,
                 after={"username": created.username, "role": created.role, "regions": codes, "via": "console"})
    session.commit()
    flash(t("users.created", username=created.username), "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/disable")
@access.login_required("admin")
def disable_user(user_id: int):  # noqa: ANN201
    session = get_session()
    target = access.get_or_404(session, User, user_id)
    me = access.console_user()
    if target.id == me.id:
        flash(t("users.self"), "error")
        return redirect(url_for("console.users"))
    from server.accounts import disable_user as disable

    reason = (request.form.get("reason") or "").strip()[:500]
    if request.form.get("confirm") != "1" or not reason:       # a negative action: confirmed, with a reason
        flash(t("users.disable_confirm_needed"), "error")
        return redirect(url_for("console.users"))
    if disable(session, target):        # ends every session of the user too
        audit.record(session, "user.update", actor=me, entity_type="user", entity_id=target.id,
                     before={"active": True}, after={"active": False, "reason": reason})
        session.commit()
    flash(t("users.disabled_msg", username=target.username), "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/enable")
@access.login_required("admin")
def enable_user(user_id: int):  # noqa: ANN201
    """Re-enable a disabled user; audited. Their old sessions stay ended, and their device tokens are
    revoked unless the admin ticks "keep" (a phone taken from a collector must not come back to life)."""
    session = get_session()
    target = access.get_or_404(session, User, user_id)
    if target.active:
        flash(t("users.not_disabled", username=target.username), "error")
        return redirect(url_for("console.users"))
    from server.models import AppToken, utcnow

    target.active = True
    revoked = []
    if request.form.get("keep_tokens") != "1":
        for row in session.scalars(select(AppToken).where(AppToken.user_id == target.id,
                                                          AppToken.revoked_at.is_(None))):
            row.revoked_at = utcnow()
            revoked.append(row.id)
    audit.record(session, "user.update", actor=access.console_user(), entity_type="user", entity_id=target.id,
                 before={"active": False}, after={"active": True, "tokens_revoked": revoked, "via": "console"})
    session.commit()
    flash(t("users.enabled_msg", username=target.username), "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/unlock")
@access.login_required("admin")
def unlock_user(user_id: int):  # noqa: ANN201
    """Lift the login lock of an account (and of an address given in the form); audited."""
    from server.auth import throttle

    session = get_session()
    target = access.get_or_404(session, User, user_id)
    address = (request.form.get("address") or "").strip()[:128] or None
    done = throttle.unlock(session, username=target.username, address=address)
    audit.record(session, "user.unlock", actor=access.console_user(), entity_type="user", entity_id=target.id,
                 after={"unlocked": done, "via": "console"})
    session.commit()
    flash(t("users.unlocked" if done else "users.not_locked", username=target.username), "ok")
    return redirect(url_for("console.users"))


@bp.post("/locks/unlock")
@access.login_required("admin")
def unlock_address():  # noqa: ANN201
    """Lift the lock of a client address (from the list of locks); audited."""
    from server.auth import throttle

    session = get_session()
    address = (request.form.get("address") or "").strip()[:128]
    done = throttle.unlock(session, address=address) if address else []
    audit.record(session, "user.unlock", actor=access.console_user(), entity_type="address",
                 after={"unlocked": done, "via": "console"})
    session.commit()
    flash(t("users.unlocked" if done else "users.not_locked", username=address), "ok")
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/password")
@access.login_required("admin")
def reset_user_password(user_id: int):  # noqa: ANN201
    """Give the user a generated temporary password (shown once) that must be changed at next login."""
    from flask import current_app

    from server.accounts import set_password
    from server.auth.passwords import generate_password

    session = get_session()
    target = access.get_or_404(session, User, user_id)
    password = generate_password()
    set_password(current_app, target, password, must_change=True)
    audit.record(session, "user.password", actor=access.console_user(), entity_type="user", entity_id=target.id,
                 after={"via": "console", "by": "admin", "must_change": True})
    session.commit()
    # shown on this response only: a flash would carry the password in the (signed, not encrypted) cookie
    from flask import g
    g.reset_notice = t("users.reset_done", username=target.username, password=password)
    return users()


@bp.post("/users/<int:user_id>/regions")
@access.login_required("admin")
def bind_user_regions(user_id: int):  # noqa: ANN201
    """Replace the user's region bindings (a permission change, audited like PUT /users/{id}/regions)."""
    from server.accounts import AccountError, bind_regions

    session = get_session()
    target = access.get_or_404(session, User, user_id)
    codes = list(dict.fromkeys(_codes(request.form.get("region_codes", ""))
                               + [c for c in request.form.getlist("region_pick") if c]))
    if target.role != "admin" and not codes:
        flash(t("users.need_region"), "error")
        return redirect(url_for("console.users"))
    before = target.region_codes
    try:
        bind_regions(session, target, codes)
    except AccountError as exc:
        session.rollback()
        flash(wording.in_language(str(exc)), "error")
        return redirect(url_for("console.users"))
    target.regions = [b for b in target.regions if b.region_code in set(codes)]
    session.flush()
    session.refresh(target)
    audit.record(session, "user.regions", actor=access.console_user(), entity_type="user", entity_id=target.id,
                 before={"regions": before}, after={"regions": target.region_codes})
    session.commit()
    flash(t("users.bound", username=target.username), "ok")
    return redirect(url_for("console.users"))


@bp.get("/forms")
@access.login_required("admin")
def forms():  # noqa: ANN201
    rows = list(get_session().scalars(select(Form).order_by(Form.project_id, Form.xml_form_id)))
    return render_template("console/forms.html", forms=rows, states=FORM_STATES)


@bp.post("/forms/<int:form_id>/state")
@access.login_required("admin")
def set_form_state(form_id: int):  # noqa: ANN201
    from server.publishing import PublishError, set_state

    session = get_session()
    form = access.get_or_404(session, Form, form_id)
    state = request.form.get("state", "")
    try:
        set_state(form, state)
    except PublishError as exc:
        flash(wording.in_language(str(exc)), "error")
        return redirect(url_for("console.forms"))
    session.commit()
    flash(t("forms.changed", form=form.xml_form_id, state=keyed("formstate", state)), "ok")
    return redirect(url_for("console.forms"))
