"""`shoudi forms build|publish|list|open|closing|close|encrypt|unlock|lock|key-status`."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from server.cli import data_dir_option, make_app
from server.db import session_scope
from server.models import Form, Project
from server.publishing import MediaFile, PublishError, publish, set_state
from server.storage import get_blobs


def pick_project(session, project_id: int | None) -> Project:  # noqa: ANN001
    if project_id is not None:
        project = session.get(Project, project_id)
        if project is None:
            raise click.ClickException(f"项目不存在 / no project {project_id}")
        return project
    found = list(session.scalars(select(Project).order_by(Project.id)).all())
    if len(found) != 1:
        raise click.ClickException("请用 --project 指定项目 / choose a project with --project "
                                   f"({len(found)} exist; see `shoudi projects list`)")
    return found[0]


@click.group()
def forms() -> None:
    """Publish and manage forms."""


@forms.command("build")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write <id>.xlsx, <id>.xml and <id>-media/.")
@click.option("--policy", "policy_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Policy file (TOML/JSON); default: the bundled demo policy.")
@click.argument("form_ids", nargs=-1)
def forms_build(out_dir: Path, policy_file: Path | None, form_ids: tuple[str, ...]) -> None:
    """Build the shipped forms (all, or FORM_IDS) without the server: the same as `python -m forms`."""
    from forms import FORM_IDS, FormsError, cli_build
    unknown = [f for f in form_ids if f not in FORM_IDS]
    if unknown:
        raise click.ClickException(f"未知表单 / unknown form id(s): {', '.join(unknown)}; "
                                   f"known: {', '.join(FORM_IDS)}")
    try:
        written = cli_build(out_dir, policy=policy_file, form_ids=list(form_ids) or None)
    except FormsError as exc:
        raise click.ClickException(f"表单生成失败 / building the forms failed: {exc}") from None
    for path in written:
        click.echo(str(path))


@forms.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_id", type=int, help="Project id (default: the only project).")
@click.option("--media", "media_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A media file the form references (repeatable).")
@data_dir_option
def forms_publish(file: Path, project_id: int | None, media_files: tuple[Path, ...], data_dir: str | None) -> None:
    """Publish FILE.xlsx (XLSForm, compiled with pyxform) or FILE.xml (XForm)."""
    xlsx = None
    if file.suffix.lower() in (".xlsx", ".xls"):
        from forms import FormBuildError, compile_xlsform
        try:
            xml, warnings = compile_xlsform(file)
        except FormBuildError as exc:
            raise click.ClickException(f"XLSForm 编译失败 / XLSForm does not compile: {exc}") from None
        for w in warnings:
            click.echo(f"warning: {w}", err=True)
        xlsx = file.read_bytes()
    elif file.suffix.lower() == ".xml":
        xml = file.read_bytes()
    else:
        raise click.ClickException("需要 .xlsx 或 .xml 文件 / expected an .xlsx or .xml file")
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            project = pick_project(session, project_id)
            media = [MediaFile(p.name, p.read_bytes()) for p in media_files]
            version, created = publish(session, get_blobs(app), project, xml, xlsx=xlsx, media=media)
            missing = sorted(set(version.media_expected) - {m.name for m in version.media})
            verb = "已发布 published" if created else "已是最新 already published"
            click.echo(f"{verb}: {file.name} → project {project.id}, version {version.version or '(none)'}, "
                       f"md5 {version.md5}")
            if missing:
                click.echo(f"缺少媒体文件 missing media (add with --media): {', '.join(missing)}", err=True)
    except PublishError as exc:
        raise click.ClickException(str(exc)) from None


@forms.command("list")
@click.option("--project", "project_id", type=int)
@data_dir_option
def forms_list(project_id: int | None, data_dir: str | None) -> None:
    """List forms: project, form id, state, current version, title."""
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        query = select(Form).order_by(Form.project_id, Form.xml_form_id)
        if project_id is not None:
            query = query.where(Form.project_id == project_id)
        for f in session.scalars(query):
            v = f.current_version
            click.echo(f"{f.project_id}\t{f.xml_form_id}\t{f.state}\t{v.version if v else '-'}\t{v.title if v else ''}")


def _set_state(xml_form_id: str, state: str, project_id: int | None, data_dir: str | None) -> None:
    app = make_app(data_dir)
    with session_scope(app) as session:
        project = pick_project(session, project_id)
        form = session.scalars(select(Form).where(Form.project_id == project.id,
                                                  Form.xml_form_id == xml_form_id)).first()
        if form is None:
            raise click.ClickException(f"表单不存在 / no form {xml_form_id} in project {project.id}")
        set_state(form, state)
    click.echo(f"{xml_form_id}: {state}")


for _state, _help in (("open", "Accept submissions and list the form."),
                      ("closing", "Accept submissions but stop listing the form."),
                      ("close", "Refuse submissions (409) and stop listing the form.")):
    def _make(state: str = "closed" if _state == "close" else _state):  # noqa: ANN202
        @click.argument("xml_form_id")
        @click.option("--project", "project_id", type=int)
        @data_dir_option
        def command(xml_form_id: str, project_id: int | None, data_dir: str | None) -> None:
            _set_state(xml_form_id, state, project_id, data_dir)
        return command
    forms.command(_state, help=_help)(_make())


# --- managed encryption (server/encryption.py) --------------------------------------------------

def _actor(session, username: str):  # noqa: ANN001, ANN202
    from server.models import User
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"用户不存在 / no user {username!r}")
    return user


def _project(session, project_id: int) -> Project:  # noqa: ANN001
    project = session.get(Project, project_id)
    if project is None:
        raise click.ClickException(f"项目不存在 / no project {project_id}")
    return project


@forms.command("encrypt")
@click.argument("project_id", type=int)
@click.option("--user", "username", required=True, help="County user (or admin) doing it (checked, audited).")
@click.option("--passphrase", prompt="口令 passphrase", hide_input=True, confirmation_prompt=True,
              help="The passphrase that will protect the private key (asked for when not given).")
@data_dir_option
def forms_encrypt(project_id: int, username: str, passphrase: str, data_dir: str | None) -> None:
    """Managed encryption for PROJECT: a key pair, the private key sealed under a passphrase, and every
    form republished with the public key (Collect then encrypts each finalised instance)."""
    from server.encryption import EncryptionError, encrypt_project
    from server.odk_crypto import CryptoError
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            project = _project(session, project_id)
            _, versions = encrypt_project(session, get_blobs(app), project, passphrase, _actor(session, username))
            for v in versions:
                click.echo(f"已加密发布 republished encrypted: {v.version}")
    except (EncryptionError, CryptoError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("口令丢失则已加密的数据无法解密，请妥善保管。"
               "Keep the passphrase safe: without it nothing encrypted can be decrypted.")


@forms.command("unlock")
@click.argument("project_id", type=int)
@click.option("--user", "username", required=True, help="County user (or admin) unlocking (checked, audited).")
@click.option("--minutes", type=int, default=60, show_default=True,
              help="How long processing may decrypt (at most 480).")
@click.option("--passphrase", prompt="口令 passphrase", hide_input=True)
@data_dir_option
def forms_unlock(project_id: int, username: str, minutes: int, passphrase: str, data_dir: str | None) -> None:
    """Unlock PROJECT's key for a bounded time: waiting encrypted submissions are processed again."""
    from server.encryption import EncryptionError, sweep_expired, unlock
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            sweep_expired(session)
            row = unlock(session, app.config["SECRET_KEY"], _project(session, project_id), passphrase,
                         _actor(session, username), minutes)
            until = row.expires_at.isoformat(timespec="minutes")
    except EncryptionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已解锁至 unlocked until {until} UTC")


@forms.command("lock")
@click.argument("project_id", type=int)
@click.option("--user", "username", required=True, help="County user (or admin) locking (checked, audited).")
@data_dir_option
def forms_lock(project_id: int, username: str, data_dir: str | None) -> None:
    """Lock PROJECT's key now (processing stops decrypting; encrypted submissions wait)."""
    from server.encryption import EncryptionError, lock, sweep_expired
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            sweep_expired(session)
            was = lock(session, _project(session, project_id), _actor(session, username))
    except EncryptionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("已锁定 locked" if was else "本来就是锁定的 was not unlocked")


@forms.command("key-status")
@click.argument("project_id", type=int)
@data_dir_option
def forms_key_status(project_id: int, data_dir: str | None) -> None:
    """Managed encryption of PROJECT: whether it is on, unlocked until when, submissions waiting."""
    from server.encryption import status
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        s = status(session, _project(session, project_id).id)
    if not s["encrypted"]:
        click.echo("未加密 not encrypted")
        return
    until = s["unlocked_until"].isoformat(timespec="minutes") + " UTC" if s["unlocked_until"] else "locked 已锁定"
    click.echo(f"加密 encrypted since {s['created_at'].isoformat(timespec='minutes')}; key: {until}; "
               f"待解密 waiting: {s['waiting']}")
