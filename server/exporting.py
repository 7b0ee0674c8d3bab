"""Exports on the server: register → export households, recorded batches, job, CLI and API.

The pure builders and writers live in ``exports/``; this module only selects what to export
(region-scoped, incremental or full), runs the writer into the blob store, and records the batch
(who, when, what, cut-off) and an audit entry. Batches run as background jobs (kind ``export``)
or inline from the CLI, and can be downloaded again. See docs/exports.md.
"""
from __future__ import annotations

import datetime as _dt
import io
import os
import tempfile
from dataclasses import dataclass
from typing import Callable, Iterator

import click
from flask import Blueprint, Response, jsonify, request, send_file
from sqlalchemy import Boolean, Index, Integer, String, Text, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, undefer

from exports import central_csv, layout as export_layout, national, notices, photos
from server.models.base import Base, JSONType, UTCDateTime, utcnow

KINDS = ("national", "notice", "csv", "photos")
# Who may run each kind (national-system entry is done by township staff; CSV holds everything).
ROLES = {
    "national": ("township", "county", "admin"),
    "notice": ("village", "township", "county", "admin"),
    "csv": ("county", "admin"),
    "photos": ("township", "county", "admin"),
}
NATIONAL_STATUSES = ("monitored", "eliminated")
# Households approved by the county but not yet entered are part of the national export too.
APPROVED_STATES = ("county_notice", "county_approved")
NOTICE_STATES = {"identification_village": ("identification", "village_notice"),
                 "identification_county": ("identification", "county_notice"),
                 "elimination_village": ("elimination", "village_notice"),
                 "elimination_county": ("elimination", "county_notice")}
MEDIA_TYPES = {"national": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "notice": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "application/zip", "photos": "application/zip"}


class ExportBatch(Base):
    """One export: what (kind, spec, region, since → cutoff), who, when, and the stored file."""

    __tablename__ = "export_batches"
    __table_args__ = (Index("ix_export_batches_scope", "kind", "spec", "region_code", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    spec: Mapped[str] = mapped_column(String(64))         # layout id, notice kind or form id
    region_code: Mapped[str] = mapped_column(String(12))
    full: Mapped[bool] = mapped_column(Boolean, default=True)
    since: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime)
    cutoff: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime)
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(8), default="queued")   # queued|running|done|failed
    created_by: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64), default="system")
    job_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[_dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[_dt.datetime | None] = mapped_column(UTCDateTime)
    households: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    issues: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict] = mapped_column(JSONType, default=dict)
    file_name: Mapped[str | None] = mapped_column(String(255))
    blob_sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    def to_dict(self) -> dict:
        iso = (lambda v: v.isoformat() if v else None)
        return {"id": self.id, "kind": self.kind, "spec": self.spec, "region_code": self.region_code,
                "full": self.full, "since": iso(self.since), "cutoff": iso(self.cutoff),
                "state": self.state, "actor": self.actor, "job_id": self.job_id,
                "created_at": iso(self.created_at), "finished_at": iso(self.finished_at),
                "households": self.households, "rows": self.rows, "issues": self.issues,
                "summary": self.summary, "file_name": self.file_name, "size": self.size,
                "error": self.error}


class ExportError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# --- register → export households ------------------------------------------------------------

def _ancestors(code: str) -> list[str]:
    return [code[:n] + "0" * (12 - n) for n in (2, 4, 6, 9, 12)]


def national_condition():
    """Monitored or eliminated households, plus those approved by the county but not yet entered."""
    from server.register.models import Household, WorkflowCase
    approved = select(WorkflowCase.household_id).where(
        WorkflowCase.open.is_(True), WorkflowCase.kind == "identification",
        WorkflowCase.state.in_(APPROVED_STATES))
    return or_(Household.status.in_(NATIONAL_STATUSES), Household.id.in_(approved))


def notice_condition(kind: str):
    """Households with an open case at the notice step of ``kind``."""
    from server.register.models import Household, WorkflowCase
    case_kind, state = NOTICE_STATES[kind]
    return Household.id.in_(select(WorkflowCase.household_id).where(
        WorkflowCase.open.is_(True), WorkflowCase.kind == case_kind, WorkflowCase.state == state))


def export_households(session: Session, region_code: str, *, condition=None,
                      since: _dt.datetime | None = None, user=None) -> Iterator[dict]:  # noqa: ANN001
    """Export households (docs/exports.md) of a region subtree from the register's read model,
    in the user's scope (all for the system), changed since ``since`` when given."""
    from server.register.read_model import iter_export_households
    role, codes = (user.role, list(user.region_codes)) if user is not None else ("admin", [])
    return iter_export_households(session, role=role, region_codes=codes, region=region_code,
                                  updated_since=since, where=() if condition is None else (condition,))


def _user(session: Session, user_id: int | None):
    from server.models import User
    return session.get(User, user_id) if user_id else None


# --- batches ---------------------------------------------------------------------------------

def previous_cutoff(session: Session, kind: str, spec: str, region_code: str) -> _dt.datetime | None:
    """The cut-off of the last finished batch of this kind, spec and region."""
    return session.scalar(select(ExportBatch.cutoff).where(
        ExportBatch.kind == kind, ExportBatch.spec == spec, ExportBatch.region_code == region_code,
        ExportBatch.state == "done").order_by(ExportBatch.id.desc()).limit(1))


def validate_request(kind: str, spec: str, params: dict) -> None:
    if kind not in KINDS:
        raise ExportError("export.kind", f"未知导出类型 {kind!r}。Unknown export kind; one of {', '.join(KINDS)}.")
    if kind == "national" and spec not in export_layout.builtin_ids():
        raise ExportError("export.layout", f"未知表样 {spec!r}。Unknown layout; one of "
                                           f"{', '.join(export_layout.builtin_ids())}.")
    if kind == "notice":
        if spec not in NOTICE_STATES:
            raise ExportError("export.notice", f"未知公示类型 {spec!r}。Unknown notice kind; one of "
                                               f"{', '.join(NOTICE_STATES)}.")
        for key in ("period_start", "period_end"):
            if params.get(key):
                try:
                    _dt.date.fromisoformat(params[key])
                except (TypeError, ValueError):
                    raise ExportError("export.period", f"{key} 应为 YYYY-MM-DD。{key} must be YYYY-MM-DD.") from None


def create_batch(session: Session, *, kind: str, spec: str, region_code: str, full: bool = True,
                 params: dict | None = None, user=None) -> ExportBatch:  # noqa: ANN001
    """Record a queued batch (the caller commits). Incremental national batches start at the
    previous batch's cut-off of the same layout and region."""
    params = dict(params or {})
    validate_request(kind, spec, params)
    since = None if full or kind != "national" else previous_cutoff(session, kind, spec, region_code)
    batch = ExportBatch(kind=kind, spec=spec, region_code=region_code, full=full or since is None,
                        since=since, params=params, state="queued",
                        created_by=getattr(user, "id", None), actor=getattr(user, "username", None) or "system")
    session.add(batch)
    session.flush()
    return batch


@dataclass
class _Result:
    households: int = 0
    rows: int = 0
    issues: int = 0
    summary: dict | None = None
    file_name: str = ""


def run_batch(app, batch_id: int, progress: Callable[[int], None] | None = None) -> ExportBatch:  # noqa: ANN001
    """Run a recorded batch: write the file, store it, record the outcome and an audit entry."""
    from server.db import get_db
    from server.register import audit
    from server.storage import get_blobs

    maker = get_db(app).sessionmaker
    with maker() as session:
        batch = session.get(ExportBatch, batch_id)
        batch.state, batch.cutoff = "running", utcnow()
        session.commit()
        kind, spec, region, since, params = batch.kind, batch.spec, batch.region_code, batch.since, dict(batch.params)
        user_id = batch.created_by
    try:
        with tempfile.TemporaryFile() as out, maker() as session:
            params["__user"] = _user(session, user_id)
            result = _WRITERS[kind](session, out, spec, region, since, params, progress, app)
            out.seek(0)
            stored = get_blobs(app).put_stream(out)
        with maker() as session:
            batch = session.get(ExportBatch, batch_id)
            batch.state, batch.finished_at = "done", utcnow()
            batch.households, batch.rows, batch.issues = result.households, result.rows, result.issues
            batch.summary, batch.file_name = result.summary or {}, result.file_name
            batch.blob_sha256, batch.size = stored.sha256, stored.size
            from server.models import User
            actor = session.get(User, batch.created_by) if batch.created_by else None
            audit.record(session, "export", actor=actor, entity_type="export_batch", entity_id=batch.id,
                         region_code=region, after={"kind": kind, "spec": spec, "full": batch.full,
                                                    "households": result.households, "rows": result.rows,
                                                    "issues": result.issues})
            session.commit()
            session.refresh(batch)
            session.expunge(batch)
            return batch
    except Exception as exc:
        with maker() as session:
            batch = session.get(ExportBatch, batch_id)
            batch.state, batch.finished_at = "failed", utcnow()
            batch.error = f"{type(exc).__name__}: {exc}"[:2000]
            session.commit()
        raise


def _region_label(session: Session, region_code: str) -> str:
    from server.models import Region
    from server.roles import LEVELS, level_of
    depth = [lv for lv, _zh, _n in LEVELS].index(level_of(region_code)) + 1
    codes = _ancestors(region_code)[:depth]
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    return "".join(names.get(c, "") for c in codes) or region_code


def _file_stem(session: Session, region_code: str, title: str) -> str:
    today = _dt.date.today().strftime("%Y%m%d")
    return f"{_region_label(session, region_code)}_{title}_{today}"


def _write_national(session, out, spec, region, since, params, progress, app) -> _Result:  # noqa: ANN001
    lay = export_layout.builtin(spec)
    households = export_households(session, region, condition=national_condition(), since=since,
                                   user=params.get("__user"))
    summary = national.write_workbook(out, lay, households, region_label=_region_label(session, region),
                                      progress=progress)
    return _Result(summary.households, summary.rows, summary.issues, summary.to_dict(),
                   f"{_file_stem(session, region, lay.sheet)}.xlsx")


def _write_notice(session, out, spec, region, since, params, progress, app) -> _Result:  # noqa: ANN001
    households = list(export_households(session, region, condition=notice_condition(spec),
                                        user=params.get("__user")))
    start, end = _notice_period(params)
    notice = notices.build_notice(spec, households, period_start=start, period_end=end,
                                  show_id=bool(params.get("show_id")), contact=params.get("contact"),
                                  region=None if households else _region_names(session, region))
    notices.write_xlsx(out, notice)
    if progress is not None:
        progress(len(households))
    return _Result(len(households), len(notice.rows), 0, {"title": notice.title},
                   f"{_file_stem(session, region, '公示名单')}.xlsx")


def _notice_period(params: dict) -> tuple[_dt.date, _dt.date]:
    start = _dt.date.fromisoformat(params["period_start"]) if params.get("period_start") else _dt.date.today()
    end = (_dt.date.fromisoformat(params["period_end"]) if params.get("period_end")
           else start + _dt.timedelta(days=4))           # 5 calendar days, the minimum notice period
    return start, end


def _region_names(session: Session, region_code: str) -> dict:
    from server.models import Region
    codes = _ancestors(region_code)
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    return {"code": region_code, **{level: names.get(c, "") for level, c in
                                    zip(("province", "city", "county", "township", "village"), codes)}}


def _write_csv(session, out, spec, region, since, params, progress, app) -> _Result:  # noqa: ANN001
    from server.models import Form, FormVersion, Project, Submission, SubmissionVersion, User
    from server.submissions.intake import instance_xml
    from server.roles import subtree_prefix
    from server.storage import get_blobs

    blobs = get_blobs(app)
    form = session.scalar(select(Form).join(Project, Project.id == Form.project_id).where(
        Form.xml_form_id == spec, Project.region_code.startswith(subtree_prefix(region), autoescape=True))
        .order_by(Form.id).limit(1))
    if form is None or form.current_version_id is None:
        raise ExportError("export.form", f"本区域没有表单 {spec!r}。No form {spec!r} in this region.")
    xml = session.get(FormVersion, form.current_version_id).xml
    versions = dict(session.execute(select(FormVersion.id, FormVersion.version)
                                    .where(FormVersion.form_id == form.id)).all())
    include_media = bool(params.get("media", True))
    private = None
    if params.get("decrypt"):
        # The project's key while it is unlocked (the passphrase never enters a batch's parameters).
        from server.encryption import unlocked_private_key
        private = unlocked_private_key(session, app.config["SECRET_KEY"], form.project_id)
        if private is None:
            raise ExportError("export.locked", "项目密钥未解锁，无法解密导出（shoudi forms unlock）。"
                                               "The project key is locked: unlock it to export decrypted rows.")

    def submissions():
        last = 0
        while True:
            rows = session.execute(
                select(Submission, SubmissionVersion, User.display_name, User.username)
                .options(undefer(SubmissionVersion.xml))
                .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
                .outerjoin(User, User.id == Submission.submitter_id)
                .where(Submission.form_id == form.id, Submission.deleted_at.is_(None), Submission.id > last)
                .order_by(Submission.id).limit(500)).all()
            if not rows:
                return
            counts = dict(session.execute(
                select(SubmissionVersion.submission_id, _count())
                .where(SubmissionVersion.submission_id.in_([s.id for s, *_ in rows]))
                .group_by(SubmissionVersion.submission_id)).all())
            for sub, version, display_name, username in rows:
                xml = instance_xml(version, blobs)
                parts = _encrypted_parts(xml)   # its parts are its data: always shipped (with a manifest)
                encrypted = parts is not None
                if encrypted and private is not None:
                    plain = _decrypt_for_export(private, xml, version, blobs)
                    if plain is not None:
                        xml, encrypted = plain.xml, False
                        media = [(n, (lambda d=d: io.BytesIO(d))) for n, d in plain.media]
                        yield central_csv.Submission(
                            sub.instance_id, xml, submission_date=sub.created_at, submitter_id=sub.submitter_id,
                            submitter_name=display_name or username, attachments_present=len(plain.media),
                            attachments_expected=len(plain.media), review_state=sub.review_state,
                            device_id=version.device_id, edits=counts.get(sub.id, 1) - 1,
                            form_version=versions.get(version.form_version_id),
                            attachments=media if include_media else ())
                        continue
                attachments = [(a.name, (lambda sha=a.sha256: blobs.open(sha)))
                               for a in version.attachments if a.sha256 and (not encrypted or a.name in parts)] \
                    if include_media or encrypted else ()
                yield central_csv.Submission(
                    sub.instance_id, xml, encrypted=encrypted, submission_date=sub.created_at,
                    submitter_id=sub.submitter_id, submitter_name=display_name or username,
                    attachments_present=version.attachments_present,
                    attachments_expected=version.attachments_expected, review_state=sub.review_state,
                    device_id=version.device_id, edits=counts.get(sub.id, 1) - 1,
                    form_version=versions.get(version.form_version_id), attachments=attachments)
            last = rows[-1][0].id
            session.expunge_all()

    summary = central_csv.write_bundle(out, xml, submissions(), media=include_media,
                                       workers=int(params.get("workers", 1)), progress=progress)
    return _Result(summary.submissions, summary.submissions + summary.repeat_rows, summary.skipped,
                   {"submissions": summary.submissions, "repeat_rows": summary.repeat_rows,
                    "media_files": summary.media_files, "skipped": summary.skipped, "files": summary.files},
                   f"{spec}.zip")


def _decrypt_for_export(private, xml: bytes, version, blobs):  # noqa: ANN001, ANN202
    """The decrypted instance and media of an encrypted version, or None when it cannot be decrypted
    with this key (then its parts are shipped as received)."""
    from server import odk_crypto
    from server.encryption import manifest_of
    from server.submissions.header import read_header
    manifest = manifest_of(read_header(xml))
    parts = {a.name: blobs.read(a.sha256) for a in version.attachments if a.sha256 and a.name in manifest.parts}
    try:
        return manifest.decrypt(private, parts)
    except (odk_crypto.CryptoError, ValueError):
        return None


def _encrypted_parts(xml: bytes) -> list[str] | None:
    """The parts an encrypted instance names (shipped as received; photos processing decrypted for the
    register are left to the register's exports), or None for a plain instance."""
    if b"encryptedXmlFile" not in xml:
        return None
    from server.submissions.header import HeaderError, read_header
    try:
        header = read_header(xml)
    except HeaderError:
        return None
    return header.encrypted_parts() if header.encrypted else None


def _count():
    from sqlalchemy import func
    return func.count()


def _write_photos(session, out, spec, region, since, params, progress, app) -> _Result:  # noqa: ANN001
    from server.models import Attachment, SubmissionVersion
    from server.register.models import HouseholdVersion
    from server.storage import get_blobs

    blobs = get_blobs(app)

    def open_attachment(hh: dict, name: str):
        sha = session.scalar(
            select(Attachment.sha256)
            .join(SubmissionVersion, SubmissionVersion.id == Attachment.version_id)
            .join(HouseholdVersion, HouseholdVersion.submission_version_id == SubmissionVersion.id)
            .where(HouseholdVersion.household_id == hh["household_id"], Attachment.name == name,
                   Attachment.sha256.is_not(None))
            .order_by(HouseholdVersion.number.desc()).limit(1))
        return blobs.open(sha) if sha else None

    condition = national_condition() if spec == "monitored" else None
    summary = photos.write_bundle(out, export_households(session, region, condition=condition,
                                                         user=params.get("__user")),
                                  open_attachment, progress=progress)
    return _Result(summary.households, summary.files, summary.missing,
                   {"files": summary.files, "missing": summary.missing, "bytes": summary.bytes},
                   f"{_file_stem(session, region, '佐证照片')}.zip")


_WRITERS = {"national": _write_national, "notice": _write_notice, "csv": _write_csv,
            "photos": _write_photos}


def run_job(ctx) -> dict:  # noqa: ANN001
    """Job handler (kind ``export``): params ``{"batch_id": n}``."""
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        ctx.progress(done[0])

    batch = run_batch(ctx.app, ctx.params["batch_id"], progress)
    ctx.progress(done[0], force=True)
    return batch.to_dict()


# --- CLI: shoudi export … --------------------------------------------------------------------

@click.group("export")
def export_group() -> None:
    """导出 — national sheets, notices, CSV bundles, photo bundles (recorded as batches)."""


def _cli_run(data_dir, kind, spec, region, full, params, out, username):  # noqa: ANN001
    from tqdm import tqdm

    from server.cli import make_app
    from server.db import get_db
    from server.models import User
    from server.roles import may_act_in
    from server.storage import get_blobs

    app = make_app(data_dir)
    with app.app_context():
        maker = get_db(app).sessionmaker
        with maker() as session:
            user = None
            if username:
                user = session.scalar(select(User).where(User.username == username))
                if user is None:
                    raise click.ClickException(f"no user {username!r}")
                if user.role not in ROLES[kind] or not may_act_in(user.region_codes, user.role, region):
                    raise click.ClickException(f"user {username!r} may not export {kind} for {region}")
            try:
                batch = create_batch(session, kind=kind, spec=spec, region_code=region, full=full,
                                     params=params, user=user)
            except ExportError as exc:
                raise click.ClickException(str(exc)) from None
            session.commit()
            batch_id = batch.id
        with tqdm(unit="户" if kind != "csv" else "条", desc=f"export {kind} {spec}") as bar:
            try:
                batch = run_batch(app, batch_id, bar.update)
            except ExportError as exc:
                raise click.ClickException(f"batch {batch_id} failed: {exc}") from None
        target = out or batch.file_name
        with get_blobs(app).open(batch.blob_sha256) as src, open(target, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    click.echo(f"batch {batch.id}: {batch.households} households, {batch.rows} rows, "
               f"{batch.issues} issues → {target}")


def _common(f):  # noqa: ANN001
    from server.cli import data_dir_option
    f = click.option("--out", "-o", type=click.Path(dir_okay=False), help="Output file (default: batch file name).")(f)
    f = click.option("--user", "username", help="Run as this user (role and region are checked; audited).")(f)
    f = click.option("--region", required=True, help="12-digit region code (any level).")(f)
    return data_dir_option(f)


@export_group.command("national")
@_common
@click.option("--layout", "spec", default="monitoring_persons", show_default=True,
              type=click.Choice(export_layout.builtin_ids()), help="Layout (exports/layouts/).")
@click.option("--full", is_flag=True, help="Everything, not only what changed since the last batch.")
def national_command(data_dir, out, username, region, spec, full):  # noqa: ANN001
    """National-system workbook with its validation sheet (incremental unless --full)."""
    _cli_run(data_dir, "national", spec, region, full, {}, out, username)


@export_group.command("notice")
@_common
@click.option("--kind", "spec", required=True, type=click.Choice(sorted(NOTICE_STATES)))
@click.option("--period-start", help="YYYY-MM-DD (default today)")
@click.option("--period-end", help="YYYY-MM-DD (default start + 4 days)")
@click.option("--show-id", is_flag=True, help="Add a masked ID column.")
@click.option("--contact", help="监督电话 printed under the list.")
def notice_command(data_dir, out, username, region, spec, period_start, period_end, show_id, contact):  # noqa: ANN001
    """Public notice list (公示名单) of the households at that notice step."""
    params = {"period_start": period_start, "period_end": period_end, "show_id": show_id, "contact": contact}
    _cli_run(data_dir, "notice", spec, region, True, {k: v for k, v in params.items() if v}, out, username)


@export_group.command("csv")
@_common
@click.option("--form", "spec", required=True, help="XForm id")
@click.option("--no-media", is_flag=True)
@click.option("--workers", type=int, default=min(2, os.cpu_count() or 1), show_default=True,
              help="Parser processes (2 on a 2-core machine: about 30 % faster).")
@click.option("--decrypt", is_flag=True, help="Encrypted submissions as data rows, decrypted with the project's "
                                               "key while it is unlocked (`shoudi forms unlock`); else refused.")
def csv_command(data_dir, out, username, region, spec, no_media, workers, decrypt):  # noqa: ANN001
    """Central-style CSV zip of a form's submissions."""
    params = {"media": not no_media, "workers": workers, **({"decrypt": True} if decrypt else {})}
    _cli_run(data_dir, "csv", spec, region, True, params, out, username)


@export_group.command("photos")
@_common
@click.option("--all-households", is_flag=True, help="All households, not only monitored ones.")
def photos_command(data_dir, out, username, region, all_households):  # noqa: ANN001
    """Authorization letters and evidence photos, one folder per household."""
    _cli_run(data_dir, "photos", "all" if all_households else "monitored", region, True, {}, out, username)


@export_group.command("batches")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None)
@click.option("--region", help="Only this region code.")
@click.option("--limit", type=int, default=20, show_default=True)
def batches_command(data_dir, region, limit):  # noqa: ANN001
    """List recorded export batches."""
    from server.cli import make_app
    from server.db import get_db
    app = make_app(data_dir)
    with app.app_context(), get_db(app).sessionmaker() as session:
        query = select(ExportBatch).order_by(ExportBatch.id.desc()).limit(limit)
        if region:
            query = query.where(ExportBatch.region_code == region)
        for b in session.scalars(query):
            click.echo(f"{b.id}\t{b.kind}\t{b.spec}\t{b.region_code}\t{'full' if b.full else 'incremental'}"
                       f"\t{b.state}\t{b.actor}\t{b.created_at:%Y-%m-%d %H:%M}\t{b.households}\t{b.file_name or ''}")


# --- REST API: /api/v1/exports -----------------------------------------------------------------

bp = Blueprint("exports", __name__, url_prefix="/api/v1/exports")


@bp.before_request
def _password_change_first() -> None:
    from server.api.auth import enforce_password_change
    enforce_password_change()


@bp.after_request
def _no_store_and_frame_protection(response):  # noqa: ANN001, ANN202
    """Exports carry personal data: never stored by a cache. The printable notice page (HTML) may not
    be framed, runs no script and loads nothing but its own inline style (allowed by its hash)."""
    response.headers["Cache-Control"] = "no-store"
    if response.mimetype == "text/html" and not response.direct_passthrough:
        import base64
        import hashlib
        import re

        html = response.get_data(as_text=True)
        hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
                          for m in re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S))
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; style-src {hashes or chr(39) + 'none' + chr(39)}; img-src 'self' data:; "
            "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def _api_user_for(kind: str):
    from server.api.auth import current_user
    from server.errors import ApiError
    user = current_user()
    if user.role not in ROLES.get(kind, ()):
        raise ApiError(403, "您的角色无权执行此导出。Your role may not run this export.", code="auth.role",
                       details={"allowed_roles": list(ROLES.get(kind, ()))})
    return user


@bp.post("")
def create():
    """Start an export batch: JSON ``{kind, spec, region_code, full?, params?}``; runs as a job
    (202 with the batch) — the file is at ``/api/v1/exports/<id>/file`` when ``state`` is done."""
    from server.api.auth import check_region
    from server.db import get_session
    from server.errors import ApiError
    from server.jobs import enqueue

    from server.roles import is_region_code

    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        body = {}
    kind, spec, region = body.get("kind"), body.get("spec"), body.get("region_code")
    if (kind not in KINDS or not isinstance(spec, str) or not is_region_code(region)
            or not isinstance(body.get("params", {}), dict) or not isinstance(body.get("full", False), bool)):
        raise ApiError(422, "需要 kind、spec 和 12 位 region_code（params 为对象，full 为布尔值）。"
                            "kind, spec and a 12-digit region_code are required (params an object, full a boolean).",
                       code="export.invalid", details={"kinds": list(KINDS)})
    user = _api_user_for(kind)
    check_region(region)
    session = get_session()
    try:
        batch = create_batch(session, kind=kind, spec=spec, region_code=region, full=bool(body.get("full")),
                             params=body.get("params") or {}, user=user)
    except ExportError as exc:
        raise ApiError(422, str(exc), code=exc.code) from None
    job = enqueue(session, "export", {"batch_id": batch.id}, region_code=region, created_by=user.id)
    batch.job_id = job.id
    session.commit()
    return jsonify(batch.to_dict()), 202


def _batch_in_scope(batch_id: int) -> ExportBatch:
    from server.api.auth import check_region
    from server.db import get_session
    from server.errors import ApiError
    batch = get_session().get(ExportBatch, batch_id)
    if batch is None:
        raise ApiError(404, "未找到。Not found.", code="not_found")
    check_region(batch.region_code)
    _api_user_for(batch.kind)
    return batch


@bp.get("")
def listing():
    """Batches of the caller's regions (newest first); filters: kind, spec, region_code."""
    from server.api.auth import current_user
    from server.db import get_session
    from server.register.scope import region_condition
    user = current_user()
    query = select(ExportBatch).where(region_condition(ExportBatch.region_code, user.role, user.region_codes))
    for name in ("kind", "spec", "region_code"):
        if request.args.get(name):
            query = query.where(getattr(ExportBatch, name) == request.args[name])
    from server.errors import ApiError
    try:
        limit = int(request.args.get("limit", 50))
    except ValueError:
        limit = 0
    if limit < 1:
        raise ApiError(422, "limit 应为正整数。limit must be a positive integer.", code="validation")
    rows = get_session().scalars(query.order_by(ExportBatch.id.desc()).limit(min(limit, 200)))
    return jsonify({"items": [b.to_dict() for b in rows]})


@bp.get("/<int:batch_id>")
def detail(batch_id: int):
    return jsonify(_batch_in_scope(batch_id).to_dict())


@bp.get("/<int:batch_id>/file")
def download(batch_id: int):
    """The batch's file (again, any time); each download is audited."""
    from server.api.auth import current_user
    from server.db import get_session
    from server.errors import ApiError
    from server.register import audit
    from server.storage import get_blobs

    batch = _batch_in_scope(batch_id)
    if batch.state != "done" or not batch.blob_sha256:
        raise ApiError(409, "导出尚未完成。The export is not finished.", code="export.not_ready",
                       details={"state": batch.state})
    session = get_session()
    audit.record(session, "export", actor=current_user(), entity_type="export_download", entity_id=batch.id,
                 region_code=batch.region_code, after={"kind": batch.kind, "spec": batch.spec})
    session.commit()
    return send_file(get_blobs().open(batch.blob_sha256), mimetype=MEDIA_TYPES[batch.kind],
                     as_attachment=True, download_name=batch.file_name or f"export-{batch.id}")


@bp.get("/notices/<kind>")
def notice_page(kind: str):
    """The printable notice page (HTML, A4) or PDF (``?format=pdf``) for a region, built live:
    ``?region_code=…&period_start=…&period_end=…&show_id=1&contact=…``."""
    from server.api.auth import check_region
    from server.db import get_session
    from server.errors import ApiError
    from server.register import audit

    from server.roles import is_region_code

    user = _api_user_for("notice")
    region = request.args.get("region_code", "")
    if not is_region_code(region):
        raise ApiError(422, "需要 12 位 region_code。A 12-digit region_code is required.", code="export.invalid")
    params = {k: request.args[k] for k in ("period_start", "period_end", "contact") if request.args.get(k)}
    try:
        validate_request("notice", kind, params)
    except ExportError as exc:
        raise ApiError(422 if exc.code != "export.notice" else 404, str(exc), code=exc.code) from None
    check_region(region)
    session = get_session()
    households = list(export_households(session, region, condition=notice_condition(kind), user=user))
    start, end = _notice_period(params)
    notice = notices.build_notice(kind, households, period_start=start, period_end=end,
                                  show_id=request.args.get("show_id") == "1", contact=params.get("contact"),
                                  region=None if households else _region_names(session, region))
    audit.record(session, "export", actor=user, entity_type="notice", entity_id=kind, region_code=region,
                 after={"kind": "notice", "spec": kind, "households": len(households),
                        "format": request.args.get("format", "html")})
    session.commit()
    if request.args.get("format") == "pdf":
        return Response(notices.pdf_bytes(notice), mimetype="application/pdf",
                        headers={"Content-Disposition": "inline; filename=notice.pdf"})
    return Response(notices.render_html(notice), mimetype="text/html")


__all__ = ["ExportBatch", "export_households", "create_batch", "run_batch", "run_job", "export_group", "bp",
           "previous_cutoff", "ExportError", "KINDS", "ROLES"]
