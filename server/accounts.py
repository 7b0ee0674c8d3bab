"""Users, their region bindings, projects and app-user tokens (services used by the CLI and the API)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from server.auth import passwords, tokens
from server.models import AppToken, Project, Region, User, UserRegion, utcnow
from server.roles import ROLE_CODES

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


class AccountError(ValueError):
    pass


def create_user(session: Session, app: Flask, username: str, *, role: str, password: str | None,
                region_codes: list[str], display_name: str = "", must_change: bool = False) -> User:
    if not USERNAME_RE.match(username):
        raise AccountError("用户名只能包含字母、数字和 _.@- / username may only contain letters, digits and _.@-")
    if role not in ROLE_CODES:
        raise AccountError(f"未知角色 / unknown role {role!r}; one of {', '.join(ROLE_CODES)}")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise AccountError(f"用户已存在 / user {username!r} already exists")
    if role != "admin" and not region_codes:
        raise AccountError("非管理员必须绑定至少一个区划 / a non-admin user needs at least one region")
    _check_regions(session, role, region_codes)
    user = User(username=username, role=role, display_name=display_name, active=True, created_at=utcnow())
    if password is not None:
        set_password(app, user, password, must_change=must_change)
    elif role != "collector":
        raise AccountError("工作人员账号需要密码（采集员可只用设备令牌）/ staff accounts need a password "
                           "(collectors may use a device token only)")
    user.regions = [UserRegion(region_code=c) for c in dict.fromkeys(region_codes)]
    session.add(user)
    session.flush()
    return user


def _check_regions(session: Session, role: str, codes: list[str]) -> None:
    for code in codes:
        region = session.get(Region, code)
        if region is None:
            raise AccountError(f"区划不存在 / unknown region {code}; import the region tree first")
        if role == "collector" and region.level not in ("village", "township"):
            raise AccountError(f"采集员应绑定到村（或乡镇）/ a collector is bound to villages (or townships), "
                               f"not the {region.level} {code}")


def set_password(app: Flask, user: User, password: str, *, must_change: bool = False) -> None:
    """Set a password that meets the policy. Every console and API session of the user ends;
    `must_change` (demo and admin-reset passwords) makes the console and API accept nothing but a
    password change until the user picks their own."""
    passwords.check_strength(password, user.username)
    user.password_hash = passwords.hash_password(password)
    user.digest_ha1 = passwords.digest_ha1(user.username, app.config["AUTH_REALM"], password)
    user.must_change_password = must_change
    user.password_changed_at = utcnow()
    session = object_session(user)
    if session is not None and user.id is not None:
        from server.auth.sessions import revoke_all
        revoke_all(session, user.id)


def disable_user(session: Session, user: User) -> bool:
    """Disable a user: logins, sessions, bearer tokens and device tokens stop at once. False when the
    user was disabled already."""
    from server.auth.sessions import revoke_all

    if not user.active:
        return False
    user.active = False
    revoke_all(session, user.id)
    return True


def bind_regions(session: Session, user: User, codes: list[str]) -> None:
    _check_regions(session, user.role, codes)
    have = {b.region_code for b in user.regions}
    for code in codes:
        if code not in have:
            user.regions.append(UserRegion(region_code=code))


def get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise AccountError(f"用户不存在 / no user {username!r}")
    return user


def create_project(session: Session, name: str, region_code: str) -> Project:
    if session.get(Region, region_code) is None:
        raise AccountError(f"区划不存在 / unknown region {region_code}")
    project = Project(name=name, region_code=region_code, created_at=utcnow())
    session.add(project)
    session.flush()
    return project


def projects_for(session: Session, user: User) -> list[Project]:
    """Projects whose region overlaps one of the user's regions (all for admins)."""
    from server.roles import region_contains
    projects = list(session.scalars(select(Project).order_by(Project.id)))
    if user.role == "admin":
        return projects
    return [p for p in projects
            if any(region_contains(p.region_code, c) or region_contains(c, p.region_code) for c in user.region_codes)]


@dataclass(frozen=True)
class IssuedToken:
    token: str
    row: AppToken


def issue_token(session: Session, user: User, project: Project, label: str = "") -> IssuedToken:
    if not user.active:
        raise AccountError(f"用户已停用 / user {user.username!r} is disabled")
    token = tokens.new_token()
    row = AppToken(token_sha256=tokens.token_digest(token), user_id=user.id, project_id=project.id,
                   label=label[:128], created_at=utcnow())
    session.add(row)
    session.flush()
    return IssuedToken(token, row)


def revoke_token(session: Session, token_id: int) -> AppToken:
    row = session.get(AppToken, token_id)
    if row is None:
        raise AccountError(f"令牌不存在 / no token #{token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row
