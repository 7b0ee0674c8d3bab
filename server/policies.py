"""Monitoring policies set locally by an admin, on top of the ones shipped in ``scoring/policies``.

A county or province sets its yearly monitoring floor and options (domain.md §2.1: re-set every
year from 2022) without a code change: ``shoudi policies set FILE.toml`` stores a layer in the
scoring file format (``region = "150121"``, ``[[period]] years = [2026, 2026] floor = …``) in the
database, where every worker and job sees it. ``policy_for(session, region, year)`` is the one way
the server resolves a policy: shipped layers, then the local ones of the same prefix.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Any

import click
from sqlalchemy import Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.models.base import Base, JSONType, UTCDateTime, utcnow


class PolicyLayer(Base):
    """One local policy layer for a region code prefix (the scoring file format, as JSON)."""

    __tablename__ = "policy_layers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    layer: Mapped[dict] = mapped_column(JSONType)
    source_text: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(64), default="system")
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PolicyFileError(ValueError):
    """A policy file that cannot be used; the message says why (zh / en)."""


def parse_layer(text: str) -> dict:
    """Parse and check one layer in the scoring file format; raises PolicyFileError."""
    import scoring
    try:
        layer = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"政策文件不是有效的 TOML / the policy file is not valid TOML: {exc}") from None
    region = str(layer.get("region", ""))
    if not (region.isdigit() and 2 <= len(region) <= 12):
        raise PolicyFileError("政策文件须写明 region（2–12 位区划代码前缀）/ the file needs `region`, a 2–12 digit code prefix")
    layer["region"] = region
    periods = layer.get("period") or []
    if not periods:
        raise PolicyFileError("政策文件至少需要一个 [[period]] / the file needs at least one [[period]]")
    for period in periods:
        years = period.get("years")
        if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) for y in years)):
            raise PolicyFileError("每个 [[period]] 须有 years = [起始年, 结束年] / each [[period]] needs years = [first, last]")
        for year in range(years[0], years[1] + 1):
            try:  # resolves the floor and validates every setting the layer touches
                scoring.load_policy(region, year, overrides=[layer])
            except scoring.PolicyNotFound as exc:
                if "floor" in period:
                    raise PolicyFileError(str(exc)) from None
            except (ValueError, KeyError, TypeError) as exc:
                raise PolicyFileError(f"政策文件有误 / the policy file is wrong: {exc}") from None
    return layer


def _stamp(session: Session) -> tuple:
    count, latest = session.execute(select(func.count(PolicyLayer.id), func.max(PolicyLayer.updated_at))).one()
    return (str(session.get_bind().url), count, latest)


_layers_cache: dict[str, Any] = {"stamp": None, "layers": ()}


def local_layers(session: Session) -> tuple[dict, ...]:
    """The local layers, re-read only when a layer was added or changed. Within a processor's claimed
    batch (one transaction, `server.ingest.run_batch`) the change stamp is read once for the batch."""
    batch = session.info.get("shoudi.batch_cache")
    if batch is not None and "policy_layers" in batch:
        return batch["policy_layers"]
    stamp = _stamp(session)
    if stamp != _layers_cache["stamp"]:
        layers = tuple(row.layer for row in session.scalars(select(PolicyLayer).order_by(PolicyLayer.region)))
        _layers_cache.update(stamp=stamp, layers=layers)
    if batch is not None:
        batch["policy_layers"] = _layers_cache["layers"]
    return _layers_cache["layers"]


def policy_for(session: Session, region_code: str, year: int):  # noqa: ANN201
    """The policy in force for a region and year: shipped layers plus local ones.

    Raises ``scoring.PolicyNotFound`` naming region and year when none applies.
    """
    layers = local_layers(session)
    if not layers:
        import scoring
        return scoring.load_policy(region_code, year)
    return _resolve(region_code, year, layers)


@lru_cache(maxsize=4096)
def _resolve_cached(region_code: str, year: int, key: int):  # noqa: ANN202
    import scoring
    return scoring.load_policy(region_code, year, overrides=_by_key[key])


_by_key: dict[int, tuple[dict, ...]] = {}


def _resolve(region_code: str, year: int, layers: tuple[dict, ...]):  # noqa: ANN202
    key = id(layers)
    _by_key.setdefault(key, layers)
    return _resolve_cached(region_code, year, key)


def set_layer(session: Session, text: str, *, actor: Any = None) -> PolicyLayer:
    """Store (or replace) the local layer for the file's region; audited."""
    from server.register import audit
    layer = parse_layer(text)
    row = session.scalar(select(PolicyLayer).where(PolicyLayer.region == layer["region"]))
    before = dict(row.layer) if row else None
    if row is None:
        row = PolicyLayer(region=layer["region"])
        session.add(row)
    row.name, row.layer, row.source_text = str(layer.get("name", "")), layer, text
    row.updated_by = getattr(actor, "username", None) or "system"
    session.flush()
    audit.record(session, "policy.set", actor=actor, entity_type="policy", entity_id=row.region,
                 region_code=row.region, before=before, after=layer)
    return row


def remove_layer(session: Session, region: str, *, actor: Any = None) -> bool:
    from server.register import audit
    row = session.scalar(select(PolicyLayer).where(PolicyLayer.region == region))
    if row is None:
        return False
    audit.record(session, "policy.remove", actor=actor, entity_type="policy", entity_id=region,
                 region_code=region, before=dict(row.layer), after=None)
    session.delete(row)
    return True


@click.group("policies")
def policies_group() -> None:
    """Monitoring policies: shipped per region and year, plus local layers set by an admin."""


@policies_group.command("list")
@click.option("--data-dir", envvar="SHOUDI_DATA_DIR", help="Data directory.")
def policies_list(data_dir: str | None) -> None:
    """List shipped policy periods and local layers."""
    import scoring
    from server.cli import make_app
    from server.db import session_scope
    click.echo("随系统发布 shipped:")
    for p in scoring.list_policies():
        years = p.get("years")
        floor = p.get("floor")
        click.echo(f"  {p.get('region') or '-':<12} {p.get('region_name', ''):<12} {years} floor={floor}")
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        rows = session.scalars(select(PolicyLayer).order_by(PolicyLayer.region)).all()
        click.echo("本地设置 local:" + ("" if rows else " （无 none）"))
        for row in rows:
            for period in row.layer.get("period", []):
                click.echo(f"  {row.region:<12} {row.name:<12} {period.get('years')} floor={period.get('floor', '-')}"
                           f"  ({row.updated_by}, {row.updated_at:%Y-%m-%d})")


@policies_group.command("show")
@click.argument("region_code")
@click.argument("year", type=int)
@click.option("--data-dir", envvar="SHOUDI_DATA_DIR", help="Data directory.")
def policies_show(region_code: str, year: int, data_dir: str | None) -> None:
    """Show the policy in force for REGION_CODE in YEAR (shipped + local layers)."""
    import json

    import scoring
    from server.cli import make_app
    from server.db import session_scope
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        try:
            policy = policy_for(session, region_code, year)
        except scoring.PolicyNotFound as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(policy.to_dict(), ensure_ascii=False, indent=2, default=str))


@policies_group.command("set")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--data-dir", envvar="SHOUDI_DATA_DIR", help="Data directory.")
def policies_set(file: str, data_dir: str | None) -> None:
    """Store a local policy layer from a TOML FILE (scoring/policies format)."""
    from pathlib import Path

    from server.cli import make_app
    from server.db import session_scope
    app = make_app(data_dir)
    try:
        with session_scope(app) as session:
            row = set_layer(session, Path(file).read_text(encoding="utf-8"))
            region = row.region
    except PolicyFileError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已保存 saved: local policy for {region}; re-score with `shoudi rescore {region}` if households are affected")


@policies_group.command("remove")
@click.argument("region")
@click.option("--data-dir", envvar="SHOUDI_DATA_DIR", help="Data directory.")
def policies_remove(region: str, data_dir: str | None) -> None:
    """Remove the local policy layer of REGION (a code prefix)."""
    from server.cli import make_app
    from server.db import session_scope
    app = make_app(data_dir)
    with session_scope(app) as session:
        if not remove_layer(session, region):
            raise click.ClickException(f"没有 {region} 的本地政策 / no local policy for {region}")
    click.echo(f"已删除 removed: local policy for {region}")
