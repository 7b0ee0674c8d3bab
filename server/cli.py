"""The `shoudi` command line. Command groups of other modules are listed in server/components.py."""
from __future__ import annotations

import sys

import click

from server import plugins


def data_dir_option(f):  # noqa: ANN001
    return click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                        help="Data directory (default: $SHOUDI_DATA_DIR or ./data).")(f)


def make_app(data_dir: str | None):  # noqa: ANN201
    """The app for a CLI command; --data-dir wins over SHOUDI_DATA_DIR."""
    from server import create_app
    return create_app({"DATA_DIR": data_dir} if data_dir else None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """守底 shoudi — field-survey server for return-to-poverty monitoring."""


@cli.command()
@data_dir_option
@click.option("--demo", is_flag=True, help="Also seed a demo county, users and households.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port the demo QR code points at.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address `shoudi serve` will bind (for the URLs shown).")
def init(data_dir: str | None, demo: bool, port: int, host: str) -> None:
    """Create or upgrade the database and publish the shipped forms."""
    from server.bootstrap import initialise
    app = make_app(data_dir)
    initialise(app, demo=demo, echo=click.echo, port=port, host=host)


@cli.command()
@data_dir_option
def migrate(data_dir: str | None) -> None:
    """Upgrade the database schema to the latest revision (init does this too)."""
    from server.db import get_db
    from server.migrate import current_revision, upgrade
    app = make_app(data_dir)
    engine = get_db(app).engine
    upgrade(engine)
    click.echo(f"schema at revision {current_revision(engine)}")


@cli.command()
@data_dir_option
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", type=int, help="Worker processes (default: $SHOUDI_WORKERS or 2).")
@click.option("--threads", type=int, help="Threads per worker (default: $SHOUDI_THREADS or 16).")
def serve(data_dir: str | None, host: str, port: int, workers: int | None, threads: int | None) -> None:
    """Run the server (gunicorn, gthread workers) until interrupted."""
    from server.config import load_settings
    from server.db import get_db
    from server.migrate import current_revision, head_revision
    from server.serve import listen_urls, run

    overrides = {"DATA_DIR": data_dir} if data_dir else {}
    app = make_app(data_dir)
    engine = get_db(app).engine
    if current_revision(engine) != head_revision():
        raise click.ClickException("数据库未初始化或需升级，请先运行 / the database needs `shoudi init --data-dir …` first")
    engine.dispose()
    settings = load_settings(overrides)
    click.echo(f"守底 shoudi serving {settings['DATA_DIR']} on {host}:{port} "
               f"({settings['DATABASE_URL'].split(':', 1)[0]})")
    for url in listen_urls(host, port):
        click.echo(f"控制台 console: {url}/console/")
    run(overrides, host=host, port=port, workers=workers or settings["WORKERS"],
        threads=threads or settings["THREADS"], processors=settings["PROCESSORS"],
        job_workers=settings["JOB_WORKERS"],
        drain_helpers=0 if settings["DATABASE_URL"].startswith("sqlite") else settings["DRAIN_HELPERS"])


@cli.command("collect-config")
@click.argument("username")
@click.option("--project", "project_id", type=int, help="Project id (default: the user's only project).")
@click.option("--url", "base_url", help="Base URL phones use (default: $SHOUDI_PUBLIC_URL or this machine's "
                                        "LAN address on port 8080).")
@click.option("--json", "as_json", is_flag=True, help="Print only the settings JSON.")
@click.option("--qr", "qr_file", type=click.Path(dir_okay=False), help="Write the QR code to this PNG (or SVG) file.")
@click.option("--label", default="", help="Label for the issued device token (e.g. the phone).")
@data_dir_option
def collect_config(username: str, project_id: int | None, base_url: str | None, as_json: bool,
                   qr_file: str | None, label: str, data_dir: str | None) -> None:
    """Issue a device token for USERNAME and print the ODK Collect settings and QR code."""
    import json as jsonlib

    from server import collect_config as cc
    from server.accounts import AccountError, get_user, issue_token, projects_for
    from server.db import session_scope

    app = make_app(data_dir)
    base = (base_url or app.config["PUBLIC_URL"] or cc.guess_base_url()).rstrip("/")
    try:
        with session_scope(app) as session:
            user = get_user(session, username)
            candidates = projects_for(session, user)
            if project_id is not None:
                candidates = [p for p in candidates if p.id == project_id]
            if len(candidates) != 1:
                raise click.ClickException(
                    "请用 --project 指定该用户可访问的项目 / choose one of the user's projects with --project: "
                    + (", ".join(f"{p.id} {p.name}" for p in candidates) or "none"))
            project = candidates[0]
            issued = issue_token(session, user, project, label or f"collect-config {username}")
            config = cc.settings(f"{base}/v1/key/{issued.token}/projects/{project.id}", project.name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    payload = cc.encode(config)
    if qr_file:
        cc.qr(payload).save(qr_file, scale=8, border=4)
    if as_json:
        click.echo(jsonlib.dumps(config, ensure_ascii=False, indent=2))
        return
    click.echo(f"ODK Collect 配置 / settings for {username} — project {project.id} {project.name}")
    click.echo(jsonlib.dumps(config, ensure_ascii=False, indent=2))
    click.echo("在 Collect 中：项目 → 添加项目 → 扫描二维码 / In Collect: add project → scan this QR code:")
    cc.qr(payload).terminal(compact=True)
    click.echo(f"QR payload: {payload}")
    if qr_file:
        click.echo(f"二维码已保存 QR code written to {qr_file}")
    click.echo("撤销此设备 / revoke this device: shoudi tokens revoke " + str(issued.row.id))


def main(argv: list[str] | None = None) -> int:
    for command in plugins.cli_commands():
        cli.add_command(command)
    try:
        cli.main(args=argv, prog_name="shoudi", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
