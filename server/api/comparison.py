"""Department data comparison imports, warning decisions, and job progress."""
from __future__ import annotations

import json

from flask import jsonify, request
from sqlalchemy import select

from server.db import get_session
from server.jobs import Job
from server.register.comparison_import import create_batch, decide
from server.register.models import ComparisonBatch, ComparisonWarning, Household
from server.register.scope import region_condition
from server.register.tables import TableError

from . import bp
from .auth import check_region, current_user, require
from .households import STAFF
from .pagination import paginate
from .problems import load, problem
from .schemas import BatchOut, ComparisonImportIn, DecisionIn, WarningOut


@bp.post("/comparison/imports")
@require("county")
def import_department_file():
    """Multipart: ``file`` (CSV/XLSX), ``source``, ``region_code`` (the county, default: the caller's),
    optional ``mapping`` and ``options`` as JSON. Queues a job; answers 202 with the batch and job."""
    from server.storage import get_blobs

    upload = request.files.get("file")
    if upload is None:
        raise problem(422, "validation", "缺少文件。Multipart field 'file' is required.")
    form = request.form.to_dict()
    try:
        for key in ("mapping", "options"):
            if key in form:
                form[key] = json.loads(form[key]) if form[key] else {}
    except json.JSONDecodeError:
        raise problem(422, "validation", "mapping/options 须为 JSON。mapping and options must be JSON.") from None
    data = load(ComparisonImportIn(), form)
    user = current_user()
    region_code = data.get("region_code") or (user.region_codes[0] if len(user.region_codes) == 1 else None)
    if not region_code:
        raise problem(422, "validation", "须指定区划。region_code is required.")
    check_region(region_code)
    session = get_session()
    try:
        batch = create_batch(session, get_blobs(), source=data["source"], region_code=region_code,
                             filename=upload.filename or "upload.csv", stream=upload.stream,
                             mapping=data["mapping"], options=data["options"], actor=user)
    except TableError as exc:
        raise problem(422, "comparison.invalid", str(exc)) from None
    session.commit()
    return jsonify({"batch": BatchOut().dump(batch), "job": session.get(Job, batch.job_id).to_dict()}), 202


@bp.get("/comparison/imports")
@require("county", "admin")
def batches():
    user = current_user()
    query = select(ComparisonBatch).where(region_condition(ComparisonBatch.region_code, user.role,
                                                           user.region_codes)).order_by(ComparisonBatch.id)
    return jsonify(paginate(get_session(), query, BatchOut().dump))


@bp.get("/comparison/imports/<int:batch_id>")
@require("county", "admin")
def batch(batch_id: int):
    found = get_session().get(ComparisonBatch, batch_id)
    if found is None:
        raise problem(404, "not_found", "未找到。Not found.")
    check_region(found.region_code)
    return jsonify(BatchOut().dump(found))


@bp.get("/comparison/warnings")
@require("township", "county", "admin")
def all_warnings():
    """Warnings in the caller's regions; ``?status=open`` for the work list."""
    user = current_user()
    query = (select(ComparisonWarning).join(Household, Household.id == ComparisonWarning.household_id)
             .where(region_condition(Household.region_code, user.role, user.region_codes)))
    if request.args.get("status"):
        query = query.where(ComparisonWarning.status == request.args["status"])
    return jsonify(paginate(get_session(), query.order_by(ComparisonWarning.id), WarningOut().dump))


@bp.post("/comparison/warnings/<int:warning_id>/decision")
@require("county")
def decide_warning(warning_id: int):
    """Confirm the exclusion, or override it with a reason (both recorded in the audit log)."""
    data = load(DecisionIn(), request.get_json(silent=True))
    session = get_session()
    warning = session.get(ComparisonWarning, warning_id)
    if warning is None:
        raise problem(404, "not_found", "未找到。Not found.")
    household = session.get(Household, warning.household_id)
    check_region(household.region_code)
    decide(session, warning, data["status"], data["reason"], current_user())
    session.commit()
    return jsonify(WarningOut().dump(warning))


@bp.get("/jobs/<int:job_id>")
@require(*STAFF)
def job(job_id: int):
    """A background job's state and progress (its creator, or anyone whose regions contain it)."""
    found = get_session().get(Job, job_id)
    if found is None:
        raise problem(404, "not_found", "未找到。Not found.")
    user = current_user()
    if found.created_by != user.id:
        check_region(found.region_code)
    return jsonify(found.to_dict())
