"""The household page's forms: take a workflow step, open a procedure, record an objection, decide a
department warning, clear a conflict flag. Each calls the register's service (which audits) with
the same role rules as the REST API, then returns to the household page with a message."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for

from server.api.cases import today
from server.db import get_session
from server.register.cases import CaseError, check_step_date, open_case, procedure, record_objection, take_step
from server.register.models import ComparisonWarning, WorkflowCase
from server.workflow import ENTRY_CHANNELS, TransitionError

from . import access, bp
from .i18n import pick, t, transition_label
from .views_households import household_in_scope

FIELDS = ("reason", "note", "meeting_note", "household_no", "method", "taper_months")


def _back(household_id: int):  # noqa: ANN202
    return redirect(url_for("console.household", household_id=household_id) + "#cases")


@bp.post("/households/<int:household_id>/cases/<int:case_id>/steps")
@access.login_required("collector", "village", "township", "county")
def take(household_id: int, case_id: int):  # noqa: ANN201
    user = access.console_user()
    session = get_session()
    household = household_in_scope(household_id)
    case = session.get(WorkflowCase, case_id)
    if case is None or case.household_id != household.id:
        abort(404)
    name = request.form.get("name", "")
    data: dict = {}
    for key in FIELDS:
        value = (request.form.get(key) or "").strip()
        if value:
            data[key] = int(value) if key == "taper_months" and value.isdigit() else value
    try:
        negative = procedure(case).transition(name).negative
    except KeyError:
        negative = False            # the engine refuses the unknown step below
    if negative and (request.form.get("confirm") != "1" or not data.get("reason")):
        flash(t("hh.case.refused") + "：" + t("hh.case.confirm_needed"), "error")
        return _back(household_id)
    now = today()
    on = now
    if (request.form.get("on") or "").strip():
        try:
            on = date.fromisoformat(request.form["on"].strip())
        except ValueError:
            flash(t("hh.case.refused") + "：" + t("hh.case.on_invalid"), "error")
            return _back(household_id)
    wrong = check_step_date(session, case, on, now)
    if wrong is not None:
        flash(t("hh.case.refused") + "：" + pick(wrong.zh, wrong.en), "error")
        return _back(household_id)
    try:
        take_step(session, case, name, actor=user, role=user.role, data=data, today=on)
    except TransitionError as exc:
        session.rollback()
        flash(t("hh.case.refused") + "：" + "；".join(pick(r.zh, r.en) for r in exc.reasons), "error")
        return _back(household_id)
    session.commit()
    flash(t("hh.case.done", name=transition_label(case.procedure, name)), "ok")
    return _back(household_id)


@bp.post("/households/<int:household_id>/cases")
@access.login_required("collector", "village", "township", "county")
def open_procedure(household_id: int):  # noqa: ANN201
    user = access.console_user()
    household = household_in_scope(household_id)
    kind = request.form.get("kind")
    channel = request.form.get("entry_channel") or None
    if kind not in ("identification", "gradual_exit") or (kind == "identification" and channel not in ENTRY_CHANNELS):
        abort(400)
    if kind == "gradual_exit" and user.role not in ("township", "county"):
        abort(403)
    session = get_session()
    try:
        open_case(session, household, kind, entry_channel=channel, actor=user,
                  reason=request.form.get("reason"), confirmed=request.form.get("confirm") == "1")
    except CaseError as exc:
        session.rollback()
        flash(pick(*str(exc).split(" / ", 1)) if " / " in str(exc) else str(exc), "error")
        return _back(household_id)
    session.commit()
    return _back(household_id)


@bp.post("/households/<int:household_id>/cases/<int:case_id>/objection")
@access.login_required("village", "township")
def objection(household_id: int, case_id: int):  # noqa: ANN201
    household = household_in_scope(household_id)
    session = get_session()
    case = session.get(WorkflowCase, case_id)
    if case is None or case.household_id != household.id:
        abort(404)
    note = (request.form.get("note") or "").strip()[:2000]
    if not note:
        flash(t("error.422") + " " + t("common.note"), "error")
        return _back(household_id)
    record_objection(session, case, request.form.get("raised") == "1", note, access.console_user())
    session.commit()
    return _back(household_id)


@bp.post("/households/<int:household_id>/warnings/<int:warning_id>")
@access.login_required("county")
def decide_warning(household_id: int, warning_id: int):  # noqa: ANN201
    from server.register.comparison_import import decide

    household = household_in_scope(household_id)
    session = get_session()
    warning = session.get(ComparisonWarning, warning_id)
    if warning is None or warning.household_id != household.id:
        abort(404)
    status = request.form.get("status")
    reason = (request.form.get("reason") or "").strip()[:2000]
    if status not in ("confirmed", "overridden") or not reason:
        flash(t("error.422") + " " + t("common.reason"), "error")
        return redirect(url_for("console.household", household_id=household_id) + "#warnings")
    decide(session, warning, status, reason, access.console_user())
    session.commit()
    return redirect(url_for("console.household", household_id=household_id) + "#warnings")


@bp.post("/households/<int:household_id>/conflict")
@access.login_required("township", "county")
def resolve_conflict(household_id: int):  # noqa: ANN201
    from server.register.households import resolve_conflict as resolve

    household = household_in_scope(household_id)
    resolve(get_session(), household, access.console_user())
    get_session().commit()
    flash(t("hh.conflict_resolved"), "ok")
    return redirect(url_for("console.household", household_id=household_id))
