"""Session, regions and users."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from server.db import begin_write, get_session
from server.models import Region, User
from server.register import audit
from server.register.scope import region_condition

from . import bp
from .auth import check_region, current_user, end_cookie_session, issue_token, require, start_cookie_session
from .pagination import paginate
from .problems import load, problem
from .schemas import LoginIn, RegionOut, UserIn, UserOut, UserRegionsIn


@bp.post("/session")
def login():
    """Log in with username and password; returns a bearer token and sets the session cookie.
    Throttled per account and address (429 ``auth.locked`` with Retry-After while locked)."""
    from server.auth import throttle
    from server.auth.passwords import verify_password

    data = load(LoginIn(), request.get_json(silent=True))
    session = get_session()
    begin_write(session)   # SQLite: the write lock before the reads that decide the writes (no upgrade failure)
    lock = throttle.locked(session, data["username"])
    if lock is not None:
        raise problem(429, "auth.locked", lock.message(), headers=[("Retry-After", str(lock.retry_after))])
    user = session.scalar(select(User).where(User.username == data["username"]))
    if not verify_password(user.password_hash if user else None, data["password"]) or not user.active:
        throttle.failed(session, data["username"])
        audit.record(session, "login.failed", entity_type="user", entity_id=user.id if user else None,
                     after={"username": data["username"][:64], "via": "api", "address": throttle.client_address()})
        session.commit()
        raise problem(401, "auth.login_failed", "用户名或密码错误。Wrong username or password.")
    throttle.succeeded(session, user.username)
    start_cookie_session(user)
    token = issue_token(user)
    audit.record(session, "login", actor=user, entity_type="user", entity_id=user.id, after={"via": "api"})
    session.commit()
    return jsonify({"token": token, "user": UserOut().dump(user),
                    "must_change_password": bool(user.must_change_password)})


@bp.delete("/session")
def logout():
    """End this session server-side: the bearer token sent (or the cookie's session) stops working."""
    from server.auth import sessions

    from .auth import authenticated_user, bearer_token

    user = authenticated_user()
    if user is None:
        raise problem(401, "auth.required", "请登录。Authentication required.")
    sessions.revoke(get_session(), bearer_token())
    end_cookie_session()
    audit.record(get_session(), "logout", actor=user, entity_type="user", entity_id=user.id, after={"via": "api"})
    get_session().commit()
    return "", 204


@bp.get("/me")
@require()
def me():
    user = current_user()
    return jsonify(dict(UserOut().dump(user), must_change_password=bool(user.must_change_password)))


@bp.post("/me/password")
@require()
def change_password():
    """Change one's own password (``current_password``, ``new_password``). Every session of the user
    ends, this one included: log in again with the new password."""
    from flask import current_app

    from server.accounts import set_password
    from server.auth import throttle
    from server.auth.passwords import WeakPassword, verify_password

    from .schemas import PasswordChangeIn

    data = load(PasswordChangeIn(), request.get_json(silent=True))
    session = get_session()
    begin_write(session)   # SQLite: the write lock before the reads that decide the writes
    user = current_user()
    lock = throttle.locked(session, user.username)
    if lock is not None:
        raise problem(429, "auth.locked", lock.message(), headers=[("Retry-After", str(lock.retry_after))])
    if not verify_password(user.password_hash, data["current_password"]):
        throttle.failed(session, user.username)
        audit.record(session, "login.failed", actor=user, entity_type="user", entity_id=user.id,
                     after={"username": user.username, "via": "api.password"})
        session.commit()
        raise problem(403, "auth.wrong_password", "当前密码错误。The current password is wrong.")
    if data["new_password"] == data["current_password"]:
        raise problem(422, "user.weak_password", "新密码不能与当前密码相同。The new password must differ.")
    try:
        set_password(current_app, user, data["new_password"])
    except WeakPassword as exc:
        raise problem(422, "user.weak_password", str(exc)) from None
    end_cookie_session()
    audit.record(session, "user.password", actor=user, entity_type="user", entity_id=user.id,
                 after={"via": "api", "by": "self"})
    session.commit()
    return "", 204


@bp.post("/users/<int:user_id>/unlock")
@require("admin")
def unlock_user(user_id: int):
    """Lift a login lock of this account (and, with ``{"address": …}``, of an address); audited."""
    from server.auth import throttle

    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        raise problem(404, "not_found", "未找到。Not found.")
    body = request.get_json(silent=True) or {}
    address = body.get("address") if isinstance(body, dict) and isinstance(body.get("address"), str) else None
    done = throttle.unlock(session, username=user.username, address=address)
    audit.record(session, "user.unlock", actor=current_user(), entity_type="user", entity_id=user.id,
                 after={"unlocked": done, "via": "api"})
    session.commit()
    return jsonify({"unlocked": done})


@bp.post("/users/<int:user_id>/password")
@require("admin")
def reset_password(user_id: int):
    """Reset a user's password to a generated one, returned once; the user must change it at the next
    console or API login, and every session of the user ends."""
    from flask import current_app

    from server.accounts import set_password
    from server.auth.passwords import generate_password

    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        raise problem(404, "not_found", "未找到。Not found.")
    password = generate_password()
    set_password(current_app, user, password, must_change=True)
    audit.record(session, "user.password", actor=current_user(), entity_type="user", entity_id=user.id,
                 after={"via": "api", "by": "admin", "must_change": True})
    session.commit()
    return jsonify({"password": password, "must_change_password": True})


@bp.get("/regions")
@require()
def regions():
    """Regions in the caller's scope; ``?parent=`` lists the children of one region."""
    user = current_user()
    query = select(Region).where(region_condition(Region.code, user.role, user.region_codes))
    if request.args.get("parent"):
        check_region(request.args["parent"])
        query = query.where(Region.parent_code == request.args["parent"])
    return jsonify(paginate(get_session(), query.order_by(Region.code), RegionOut().dump))


@bp.get("/regions/<code>")
@require()
def region(code: str):
    check_region(code)
    found = get_session().get(Region, code)
    if found is None:
        raise problem(404, "not_found", "未找到。Not found.")
    return jsonify(RegionOut().dump(found))


@bp.post("/regions/import")
@require("admin")
def import_regions():
    """Upload a CSV/XLSX region file (multipart ``file``, optional ``vintage``); all rows or none."""
    from server.register.region_import import read_regions

    upload = request.files.get("file")
    if upload is None:
        raise problem(422, "validation", "缺少文件。Multipart field 'file' is required.")
    try:
        vintage = int(request.form["vintage"]) if request.form.get("vintage") else None
    except ValueError:
        raise problem(422, "validation", "年份无效。vintage must be a year.") from None
    session = get_session()
    existing = set(session.scalars(select(Region.code)))
    result = read_regions(upload.stream, filename=upload.filename or "regions.csv", vintage=vintage,
                          existing=existing)
    if not result.ok:
        raise problem(422, "region.invalid", "区划文件有误。The region file has errors.",
                      {"errors": result.errors[:200]})
    created = updated = 0
    for row in result.regions:
        region_row = session.get(Region, row.code)
        if region_row is None:
            session.add(Region(code=row.code, name=row.name, level=row.level, parent_code=row.parent_code,
                               vintage=row.vintage))
            created += 1
        else:
            region_row.name, region_row.vintage = row.name, row.vintage
            updated += 1
        session.flush()
    audit.record(session, "region.import", actor=current_user(), entity_type="region",
                 after={"created": created, "updated": updated, "filename": upload.filename})
    session.commit()
    return jsonify({"created": created, "updated": updated}), 201


@bp.get("/users")
@require("admin", "county")
def users():
    """Admin: every user; county staff: the users bound inside their county."""
    user = current_user()
    query = select(User).order_by(User.id)
    if user.role != "admin":
        from server.models import UserRegion
        inside = select(UserRegion.user_id).where(region_condition(UserRegion.region_code, user.role,
                                                                   user.region_codes))
        query = query.where(User.id.in_(inside))
    return jsonify(paginate(get_session(), query, UserOut().dump))


@bp.post("/users")
@require("admin")
def create_user():
    from flask import current_app

    from server.accounts import AccountError
    from server.accounts import create_user as create
    from server.auth.passwords import WeakPassword

    data = load(UserIn(), request.get_json(silent=True))
    session = get_session()
    try:
        user = create(session, current_app, data["username"], role=data["role"], password=data["password"],
                      region_codes=data["region_codes"], display_name=data["display_name"])
    except (AccountError, WeakPassword) as exc:
        raise problem(422, "user.invalid", str(exc)) from None
    session.flush()
    audit.record(session, "user.create", actor=current_user(), entity_type="user", entity_id=user.id,
                 after={"username": user.username, "role": user.role, "regions": data["region_codes"]})
    session.commit()
    return jsonify(UserOut().dump(user)), 201


@bp.put("/users/<int:user_id>/regions")
@require("admin")
def set_user_regions(user_id: int):
    """Replace a user's region bindings (a permission change, audited)."""
    from server.accounts import AccountError, bind_regions

    data = load(UserRegionsIn(), request.get_json(silent=True))
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        raise problem(404, "not_found", "未找到。Not found.")
    before = user.region_codes
    if user.role != "admin" and not data["region_codes"]:
        raise problem(422, "user.invalid", "非管理员必须绑定至少一个区划 / a non-admin user needs a region")
    try:
        bind_regions(session, user, data["region_codes"])
    except AccountError as exc:
        raise problem(422, "user.invalid", str(exc)) from None
    user.regions = [b for b in user.regions if b.region_code in set(data["region_codes"])]
    session.flush()
    session.refresh(user)
    audit.record(session, "user.regions", actor=current_user(), entity_type="user", entity_id=user.id,
                 before={"regions": before}, after={"regions": user.region_codes})
    session.commit()
    return jsonify(UserOut().dump(user))
