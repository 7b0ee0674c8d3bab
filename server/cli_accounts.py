"""`shoudi users …`, `shoudi projects …`, `shoudi tokens …`."""
from __future__ import annotations

import sys

import click
from sqlalchemy import select

from server.accounts import (AccountError, bind_regions, create_project, create_user, disable_user, get_user,
                             revoke_token, set_password)
from server.auth.passwords import WeakPassword
from server.cli import data_dir_option, make_app
from server.db import session_scope
from server.models import AppToken, Project, User
from server.register import audit
from server.roles import ROLE_CODES


def _fail(exc: Exception) -> None:
    raise click.ClickException(str(exc))


@click.group()
def users() -> None:
    """Manage users (collectors, village/township/county staff, admins)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLE_CODES), required=True)
@click.option("--region", "regions", multiple=True, help="12-digit region code (repeatable).")
@click.option("--password", default=None, help="The password (visible in the shell history; prefer the options below).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--generate-password", is_flag=True, help="Generate a strong password and print it once.")
@click.option("--name", "display_name", default="", help="Display name.")
@data_dir_option
def users_add(username: str, role: str, regions: tuple[str, ...], password: str | None, password_stdin: bool,
              generate_password: bool, display_name: str, data_dir: str | None) -> None:
    """Create a user bound to one or more regions. Without a terminal, give the password with
    --password-stdin (e.g. `printf '%s\\n' "$PW" | shoudi users add …`) or --generate-password."""
    password, generated = _password(password, password_stdin, generate_password)
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            user = create_user(session, app, username, role=role, password=password,
                               region_codes=list(regions), display_name=display_name)
            click.echo(f"用户已创建 user created: {user.username} ({user.role}) {' '.join(user.region_codes)}")
    except (AccountError, WeakPassword) as exc:
        _fail(exc)
    if generated:
        click.echo(f"密码 password: {password}  (shown once; give it to the user in person)")


def _password(given: str | None, from_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The password from exactly one source: --password, stdin, generated, or a terminal prompt."""
    if sum((given is not None, from_stdin, generate)) > 1:
        raise click.UsageError("--password, --password-stdin and --generate-password exclude each other")
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError("--password-stdin: standard input is empty")
        return line, False
    if generate:
        import secrets
        import string
        alphabet = string.ascii_letters + string.digits
        while True:
            candidate = "".join(secrets.choice(alphabet) for _ in range(14)) + "-" + \
                "".join(secrets.choice(alphabet) for _ in range(5))
            if any(c.isdigit() for c in candidate) and any(c.islower() for c in candidate) \
                    and any(c.isupper() for c in candidate):
                return candidate, True
    if given is not None:
        return given, False
    if not sys.stdin.isatty():
        raise click.UsageError("no terminal to ask for the password: use --password-stdin or --generate-password")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


@users.command("list")
@data_dir_option
def users_list(data_dir: str | None) -> None:
    """List users with role, regions and state."""
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "active" if user.active else "disabled"
            click.echo(f"{user.username}\t{user.role}\t{','.join(user.region_codes) or '-'}\t{state}")


@users.command("passwd")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--temporary/--permanent", default=True, show_default=True,
              help="Temporary: the user must change it at the next console or API login (a reset).")
@data_dir_option
def users_passwd(username: str, password: str, temporary: bool, data_dir: str | None) -> None:
    """Set a user's password (every console and API session of the user ends)."""
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            user = get_user(session, username)
            set_password(app, user, password, must_change=temporary)
            audit.record(session, "user.password", entity_type="user", entity_id=user.id,
                         after={"via": "cli", "by": "admin", "must_change": temporary})
        click.echo("密码已更新 password updated" + ("（首次登录须修改 to be changed at next login）" if temporary else ""))
    except (AccountError, WeakPassword) as exc:
        _fail(exc)


@users.command("disable")
@click.argument("username")
@data_dir_option
def users_disable(username: str, data_dir: str | None) -> None:
    """Disable a user (logins, sessions and tokens stop working at once)."""
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            user = get_user(session, username)
            if disable_user(session, user):
                audit.record(session, "user.update", entity_type="user", entity_id=user.id,
                             before={"active": True}, after={"active": False, "via": "cli"})
        click.echo(f"已停用 disabled: {username}")
    except AccountError as exc:
        _fail(exc)


@users.command("unlock")
@click.argument("username", required=False)
@click.option("--address", default=None, help="Also (or only) lift the lock of this client address.")
@data_dir_option
def users_unlock(username: str | None, address: str | None, data_dir: str | None) -> None:
    """Lift a login lock (too many failed logins) of an account and/or an address; audited."""
    from server.auth import throttle

    if not username and not address:
        raise click.UsageError("give a USERNAME and/or --address")
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            user = get_user(session, username) if username else None
            done = throttle.unlock(session, username=username, address=address)
            audit.record(session, "user.unlock", entity_type="user" if user else "address",
                         entity_id=user.id if user else None, after={"unlocked": done, "via": "cli"})
        click.echo(("已解除锁定 unlocked: " + ", ".join(done)) if done else "没有锁定 nothing was locked")
    except AccountError as exc:
        _fail(exc)


@users.command("locks")
@data_dir_option
def users_locks(data_dir: str | None) -> None:
    """List login locks in force (account or address, locked until)."""
    from server.auth import throttle

    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        for scope, key, until in throttle.locks(session):
            click.echo(f"{scope}\t{key}\t{until.isoformat(timespec='seconds')}")


@users.command("bind")
@click.argument("username")
@click.argument("codes", nargs=-1, required=True)
@data_dir_option
def users_bind(username: str, codes: tuple[str, ...], data_dir: str | None) -> None:
    """Bind a user to more regions."""
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            user = get_user(session, username)
            bind_regions(session, user, list(codes))
        click.echo(f"{username}: {' '.join(codes)}")
    except AccountError as exc:
        _fail(exc)


@click.group()
def projects() -> None:
    """Manage projects (the /v1/projects/{id} scopes, each bound to a region)."""


@projects.command("add")
@click.argument("name")
@click.option("--region", required=True, help="12-digit region code the project covers (e.g. a county).")
@data_dir_option
def projects_add(name: str, region: str, data_dir: str | None) -> None:
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            project = create_project(session, name, region)
            click.echo(f"项目已创建 project {project.id}: {project.name} ({project.region_code})")
    except AccountError as exc:
        _fail(exc)


@projects.command("list")
@data_dir_option
def projects_list(data_dir: str | None) -> None:
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        for p in session.scalars(select(Project).order_by(Project.id)):
            click.echo(f"{p.id}\t{p.name}\t{p.region_code}")


@click.group()
def tokens() -> None:
    """List and revoke app-user (device) tokens issued by collect-config."""


@tokens.command("list")
@data_dir_option
def tokens_list(data_dir: str | None) -> None:
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        for t in session.scalars(select(AppToken).order_by(AppToken.id)):
            state = "revoked" if t.revoked_at else "active"
            used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never"
            click.echo(f"{t.id}\t{t.user.username}\tproject {t.project_id}\t{state}\tlast used {used}\t{t.label}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.option("--reason", default="", help="Why (e.g. 手机遗失 a lost phone); kept in the audit log.")
@data_dir_option
def tokens_revoke(token_id: int, reason: str, data_dir: str | None) -> None:
    """Revoke a device token at once (audited as the console's revoke is)."""
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            row = session.get(AppToken, token_id)
            was_active = row is not None and row.revoked_at is None
            row = revoke_token(session, token_id)
            if was_active:
                audit.record(session, "token.revoke", entity_type="app_token", entity_id=row.id,
                             before={"active": True},
                             after={"active": False, "user": row.user.username, "via": "cli", "reason": reason[:500]})
        click.echo(f"已撤销 revoked token {token_id}")
    except AccountError as exc:
        _fail(exc)
