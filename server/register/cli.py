"""CLI for the register: `shoudi regions import|list`, `shoudi compare`, `shoudi rescore`, `shoudi overdue`,
`shoudi demo fill`.

Comparison and re-scoring queue jobs; run them with `shoudi worker` (or `--now` here).
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click


def _app(data_dir: str | None):  # noqa: ANN202
    from server.cli import make_app
    return make_app(data_dir)


_data_dir = click.option("--data-dir", type=click.Path(file_okay=False), default=None,
                         help="Data directory (default: $SHOUDI_DATA_DIR or ./data).")


@click.group("regions")
def regions() -> None:
    """Administrative regions (12-digit codes)."""


@regions.command("list")
@_data_dir
@click.option("--parent", "parent", default=None, metavar="CODE",
              help="List the regions directly under this 12-digit code (default: the top level).")
def list_regions(data_dir: str | None, parent: str | None) -> None:
    """List regions one level at a time: code, level, name, number of regions directly below."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import aliased

    from server.db import session_scope
    from server.models import Region

    app = _app(data_dir)
    with session_scope(app, write=False) as session:
        if parent is not None and session.get(Region, parent) is None:
            raise click.ClickException(f"区划不存在 / no region {parent!r} (`shoudi regions list` shows the top level)")
        child = aliased(Region)
        below = (select(func.count()).select_from(child).where(child.parent_code == Region.code)
                 .scalar_subquery())
        condition = Region.parent_code.is_(None) if parent is None else Region.parent_code == parent
        rows = session.execute(select(Region.code, Region.level, Region.name, below).where(condition)
                               .order_by(Region.code)).all()
    if not rows:
        click.echo("（无下级区划 none）" if parent else "尚无区划 / no regions yet: `shoudi regions import FILE`")
        return
    for code, level, name, count in rows:
        click.echo(f"{code}\t{level}\t{name}\t{count}")


@regions.command("import")
@_data_dir
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--vintage", type=int, default=None, help="Code-table year when the file has no 年份 column.")
def import_regions(data_dir: str | None, file: str, vintage: int | None) -> None:
    """Import a CSV/XLSX region file (区划代码, 名称[, 年份][, 上级代码]); all rows or none."""
    from sqlalchemy import select

    from server.db import session_scope
    from server.models import Region

    from . import audit
    from .region_import import read_regions
    from .tables import TableLimits

    app = _app(data_dir)
    with session_scope(app) as session:
        result = read_regions(file, vintage=vintage, existing=set(session.scalars(select(Region.code))),
                              limits=TableLimits.from_config(app.config))
        if not result.ok:
            for error in result.errors[:50]:
                click.echo(f"第{error['row']}行 row {error['row']}: {error['code']} {error['message']}", err=True)
            raise click.ClickException(f"{len(result.errors)} errors; nothing imported")
        created = 0
        for row in result.regions:
            region = session.get(Region, row.code)
            if region is None:
                session.add(Region(code=row.code, name=row.name, level=row.level, parent_code=row.parent_code,
                                   vintage=row.vintage))
                created += 1
            else:
                region.name, region.vintage = row.name, row.vintage
            session.flush()
        audit.record(session, "region.import", entity_type="region",
                     after={"created": created, "updated": len(result.regions) - created,
                            "filename": Path(file).name})
        session.commit()
    click.echo(f"imported {len(result.regions)} regions ({created} new)")


def _run_now(app, now: bool) -> None:  # noqa: ANN001
    if now:
        from server.jobs import run_pending
        click.echo(f"ran {run_pending(app)} job(s)")
    else:
        click.echo("queued; run `shoudi worker` to process it")


@click.command("compare")
@_data_dir
@click.argument("source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--region", "region_code", required=True, help="County (or other) region code the file covers.")
@click.option("--mapping", default=None, help='Column mapping as JSON, e.g. {"id_number": "身份证"}.')
@click.option("--min-amount", type=float, default=None, help="large_deposits: only amounts at or above this.")
@click.option("--now", is_flag=True, help="Run the job in this process instead of queueing it.")
def compare_command(data_dir, source, file, region_code, mapping, min_amount, now) -> None:  # noqa: ANN001
    """Import a department file (vehicles, real_estate, business, public_payroll, social_insurance,
    large_deposits) and compare it with the members' 证件号码."""
    from server.db import session_scope
    from server.storage import get_blobs

    from .comparison import SOURCES
    from .comparison_import import create_batch
    from .tables import TableError, TableLimits

    if source not in SOURCES:
        raise click.BadParameter(f"one of {', '.join(SOURCES)}", param_hint="SOURCE")
    app = _app(data_dir)
    options = {"min_amount": min_amount} if min_amount is not None else {}
    with session_scope(app) as session, open(file, "rb") as stream:
        try:
            batch = create_batch(session, get_blobs(app), source=source, region_code=region_code,
                                 filename=Path(file).name, stream=stream,
                                 mapping=json.loads(mapping) if mapping else {}, options=options,
                                 limits=TableLimits.from_config(app.config))
        except TableError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(f"batch {batch.id}, job {batch.job_id}")
    _run_now(app, now)


@click.command("rescore")
@_data_dir
@click.argument("region_code")
@click.option("--year", type=int, default=None, help="Policy year (default: each record's survey year).")
@click.option("--now", is_flag=True, help="Run the job in this process instead of queueing it.")
def rescore_command(data_dir: str | None, region_code: str, year: int | None, now: bool) -> None:
    """Re-score every household of a region (e.g. after a policy change)."""
    from server.db import session_scope
    from server.jobs import enqueue

    from . import audit

    app = _app(data_dir)
    with session_scope(app) as session:
        job = enqueue(session, "rescore", {"region_code": region_code, "year": year}, region_code=region_code)
        audit.record(session, "job.enqueue", entity_type="job", entity_id=job.id, region_code=region_code,
                     after={"kind": "rescore", "year": year})
        session.commit()
        click.echo(f"job {job.id}")
    _run_now(app, now)


@click.command("overdue")
@_data_dir
@click.option("--region", "region_code", default=None, help="Only this region's subtree.")
def overdue_command(data_dir: str | None, region_code: str | None) -> None:
    """List missed workflow deadlines (working days)."""
    from sqlalchemy import true

    from server.db import session_scope
    from server.roles import subtree_prefix

    from .cases import overdue
    from .models import Deadline

    app = _app(data_dir)
    from server.workflow import china_today
    today = date.fromisoformat(app.config["FROZEN_TODAY"]) if app.config.get("FROZEN_TODAY") else china_today()
    condition = Deadline.region_code.startswith(subtree_prefix(region_code)) if region_code else true()
    with app.app_context(), session_scope(app) as session:
        rows = overdue(session, condition, today, limit=10_000)
        for d in rows:
            state = f"met {d.met_on}" if d.met_on else "open"
            click.echo(f"household {d.household_id}\tcase {d.case_id}\t{d.code}\tdue {d.due_on}\t{state}")
        click.echo(f"{len(rows)} overdue")


@click.group("demo")
def demo_group() -> None:
    """Demo data (never for production use)."""


@demo_group.command("fill")
@_data_dir
@click.argument("count", type=click.IntRange(min=1, max=100_000), metavar="N")
@click.option("--project", "project_id", type=int, default=None, help="Project id (default: the first).")
@click.option("--seed", type=int, default=None, help="Repeatable households for a given seed (default: random).")
@click.option("--no-photos", is_flag=True, help="Submit without the authorization photo.")
def demo_fill(data_dir: str | None, count: int, project_id: int | None, seed: int | None, no_photos: bool) -> None:
    """Submit N realistic households through the OpenRosa submission path (as the project's collectors)."""
    from .demo_fill import DemoFillError, fill

    app = _app(data_dir)
    try:
        result = fill(app, count, project_id=project_id, seed=seed, photos=not no_photos, echo=click.echo)
    except DemoFillError as exc:
        raise click.ClickException(str(exc)) from None
    villages = "，".join(f"{name} {n}" for name, n in sorted(result.by_village.items()))
    click.echo(f"已提交 {result.submitted} 户 / {result.submitted} households submitted ({villages})")
    for instance, status, body in result.refused[:5]:
        click.echo(f"  未接收 refused {instance}: HTTP {status} {body}")
    if result.refused:
        raise click.ClickException(f"{len(result.refused)} 份提交未被接收 / submissions refused")
