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
@click.option("--demo", is_flag=True, help="Also seed demo regions, users and households.")
def init(data_dir: str | None, demo: bool) -> None:
    """Create or upgrade the database and publish the shipped forms."""
    from server.bootstrap import initialise
    app = make_app(data_dir)
    initialise(app, demo=demo, echo=click.echo)


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
