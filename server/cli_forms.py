"""`shoudi forms build|publish|list|open|closing|close`."""
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
