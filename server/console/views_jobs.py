"""Jobs page: background jobs with progress (meta refresh while any runs), export batches with
download links (the API's audited download route), and forms to start an export or a re-scoring."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from server.db import get_session
from server.exporting import KINDS, NOTICE_STATES, ROLES, ExportBatch, ExportError, create_batch
from server.jobs import Job, enqueue
from server.register import audit
from server.register.scope import region_condition

from . import access, bp, queries, wording
from .i18n import t

PHOTO_SPECS = ("monitored", "all")


def export_specs(session) -> dict[str, list[tuple[str, str]]]:  # noqa: ANN001
    """What each export kind can be asked for, as (spec, label): layouts (with their titles), notice
    kinds, form ids, photo scopes."""
    from exports import layout
    from server.models import Form

    from server.models import FormVersion

    # a form by its title (the one people see in Collect), the form id only where two titles collide
    titles: dict[str, str] = {}
    for form_id, title in session.execute(select(Form.xml_form_id, FormVersion.title).outerjoin(
            FormVersion, FormVersion.id == Form.current_version_id).order_by(Form.id)):
        titles.setdefault(form_id, title or form_id)
    taken = [v for v in titles.values()]
    forms = sorted(titles.items(), key=lambda kv: kv[1])
    return {"national": [(i, layout.builtin(i).title) for i in layout.builtin_ids()],
            "notice": [(k, t(f"export.notice.{k}")) for k in NOTICE_STATES],
            "csv": [(f, title if taken.count(title) == 1 else f"{title}（{f}）") for f, title in forms],
            "photos": [(k, t(f"export.photos.{k}")) for k in PHOTO_SPECS]}


PER_PAGE = 50


def visible_jobs(user):  # noqa: ANN001, ANN201
    """Jobs the user may see (as ``GET /api/v1/jobs/<id>``: their own, or in their regions), newest first."""
    condition = or_(Job.created_by == user.id, region_condition(Job.region_code, user.role, user.region_codes))
    return select(Job).where(condition).order_by(Job.id.desc())


def visible_batches(user):  # noqa: ANN001, ANN201
    """Export batches in the user's regions, of the kinds the user's role may run, newest first."""
    kinds = [k for k in KINDS if user.role in ROLES[k]]
    return select(ExportBatch).where(
        region_condition(ExportBatch.region_code, user.role, user.region_codes), ExportBatch.kind.in_(kinds)
    ).order_by(ExportBatch.id.desc())


def _paged(session, query, arg: str) -> dict:  # noqa: ANN001
    """One page of ``query`` for the page argument ``arg``: rows, page, pages, total."""
    page_no = queries.page_number(request.args.get(arg))
    rows, total = queries.page(session, query, page_no, PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    if page_no > pages:
        page_no = pages
        rows, total = queries.page(session, query, page_no, PER_PAGE)
    return {"rows": rows, "page": page_no, "pages": pages, "total": total}


@bp.get("/jobs")
@access.login_required("village", "township", "county", "admin")
def jobs():  # noqa: ANN201
    user = access.console_user()
    session = get_session()
    job_page = _paged(session, visible_jobs(user), "jobs_page")
    batch_page = _paged(session, visible_batches(user), "batches_page")
    rows, batches = job_page["rows"], batch_page["rows"]
    running = any(j.state in ("queued", "running") for j in rows)
    # the region the forms act on: chosen with the cascading picker (default: the user's area); the
    # forms offer it and the regions directly below it — never one long list of every village
    picked = queries.picked_area(request.args.getlist("area"))
    if picked:
        access.checked_region(picked)
    area = picked or queries.default_area(user)
    names = queries.region_names(session, [area]) if area else {}
    areas = ([(area, names.get(area, area))] if area else []) + [
        (code, "　" + name) for code, name in queries.child_regions(session, user, area)]
    return render_template("console/jobs.html", jobs=rows, batches=batches, refresh=running,
                           job_page=job_page, batch_page=batch_page,
                           picker=queries.region_picker(session, user, area),
                           kinds=[k for k in KINDS if user.role in ROLES[k]], specs=export_specs(session),
                           may_rescore=user.role in ("county", "admin"), areas=areas,
                           notice_area=queries.default_area(user) if user.role in ROLES["notice"] else None,
                           notice_kinds=list(NOTICE_STATES), may_compare=user.role == "county",
                           sources=_sources(),
                           region_labels=queries.region_names(
                               session, [j.region_code for j in rows if j.region_code]
                               + [b.region_code for b in batches if b.region_code]))


def _sources() -> list[tuple[str, str]]:
    from server.register.comparison import SOURCES

    from .i18n import pick
    return [(code, pick(source.zh, source.en)) for code, source in SOURCES.items()]


@bp.post("/jobs/exports")
@access.login_required("village", "township", "county", "admin")
def start_export():  # noqa: ANN201
    user = access.console_user()
    kind, _sep, spec = request.form.get("spec_choice", "").partition(":")   # "<kind>:<spec>"
    region = request.form.get("region_code", "")
    if kind not in KINDS:
        flash(t("error.422"), "error")
        return redirect(url_for("console.jobs"))
    if user.role not in ROLES[kind]:
        abort(403)
    access.checked_region(region)
    session = get_session()
    try:
        batch = create_batch(session, kind=kind, spec=spec, region_code=region,
                             full=request.form.get("full") == "1", params={}, user=user)
    except ExportError as exc:
        session.rollback()
        flash(wording.in_language(str(exc)), "error")
        return redirect(url_for("console.jobs"))
    job = enqueue(session, "export", {"batch_id": batch.id}, region_code=region, created_by=user.id)
    batch.job_id = job.id
    session.commit()
    flash(t("jobs.queued", id=job.id), "ok")
    return redirect(url_for("console.jobs"))


@bp.post("/jobs/comparison")
@access.login_required("county")
def start_comparison():  # noqa: ANN201
    """Upload a department file (CSV/XLSX) and queue the comparison job (the API's service and audit)."""
    from server.register.comparison import SOURCES
    from server.register.comparison_import import create_batch as create_comparison
    from server.storage import get_blobs

    user = access.console_user()
    region = request.form.get("region_code", "")
    access.checked_region(region)
    upload = request.files.get("file")
    source = request.form.get("source", "")
    if upload is None or not upload.filename or source not in SOURCES:
        flash(t("error.422"), "error")
        return redirect(url_for("console.jobs"))
    from server.register.tables import TableError
    session = get_session()
    try:
        batch = create_comparison(session, get_blobs(), source=source, region_code=region,
                                  filename=upload.filename, stream=upload.stream, actor=user)
    except TableError as exc:
        session.rollback()
        flash(wording.in_language(str(exc)), "error")
        return redirect(url_for("console.jobs"))
    session.commit()
    flash(t("jobs.queued", id=batch.job_id), "ok")
    return redirect(url_for("console.jobs"))


@bp.post("/jobs/rescore")
@access.login_required("county", "admin")
def start_rescore():  # noqa: ANN201
    user = access.console_user()
    region = request.form.get("region_code", "")
    access.checked_region(region)
    year_text = (request.form.get("year") or "").strip()
    year = int(year_text) if year_text.isdigit() and 2015 <= int(year_text) <= 2100 else None
    if year_text and year is None:
        flash(t("error.422") + " " + t("jobs.year"), "error")
        return redirect(url_for("console.jobs"))
    session = get_session()
    job = enqueue(session, "rescore", {"region_code": region, "year": year}, region_code=region, created_by=user.id)
    audit.record(session, "job.enqueue", actor=user, entity_type="job", entity_id=job.id, region_code=region,
                 after={"kind": "rescore", "year": year})
    session.commit()
    flash(t("jobs.queued", id=job.id), "ok")
    return redirect(url_for("console.jobs"))

