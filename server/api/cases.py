"""Workflow over HTTP: open a case, see its options (allowed or why not, zh/en), take steps,
record objections, list overdue deadlines."""
from __future__ import annotations

from datetime import date

from flask import current_app, jsonify, request
from sqlalchemy import select

from server.db import get_session
from server.register.cases import (CaseError, case_options, check_step_date, open_case, overdue, record_objection,
                                   take_step)
from server.register.models import Deadline, Household, WorkflowCase, WorkflowStep
from server.register.scope import region_condition
from server.workflow import TransitionError

from . import bp
from .auth import check_region, current_user, require
from .households import STAFF, household_in_scope
from .problems import load, problem
from .schemas import CaseIn, CaseOut, DeadlineOut, ObjectionIn, StepOut, TransitionIn


def today() -> date:
    """Today in China (UTC+8); ``FROZEN_TODAY`` (ISO date) pins it for demos and tests."""
    from server.workflow import china_today

    frozen = current_app.config.get("FROZEN_TODAY")
    return date.fromisoformat(frozen) if frozen else china_today()


def _case_in_scope(case_id: int) -> tuple[WorkflowCase, Household]:
    session = get_session()
    case = session.get(WorkflowCase, case_id)
    if case is None:
        raise problem(404, "not_found", "未找到。Not found.")
    household = session.get(Household, case.household_id)
    check_region(household.region_code)
    return case, household


def _case_body(case: WorkflowCase) -> dict:
    session = get_session()
    user = current_user()
    body = CaseOut().dump(case)
    body["steps"] = StepOut(many=True).dump(session.scalars(
        select(WorkflowStep).where(WorkflowStep.case_id == case.id).order_by(WorkflowStep.id)))
    body["deadlines"] = DeadlineOut(many=True).dump(session.scalars(
        select(Deadline).where(Deadline.case_id == case.id).order_by(Deadline.id)))
    body["options"] = [o.to_dict() for o in case_options(session, case, user.role, today())] if case.open else []
    return body


@bp.get("/households/<int:household_id>/cases")
@require(*STAFF)
def household_cases(household_id: int):
    household_in_scope(household_id)
    cases = get_session().scalars(select(WorkflowCase).where(WorkflowCase.household_id == household_id)
                                  .order_by(WorkflowCase.id))
    return jsonify({"items": [_case_body(c) for c in cases]})


@bp.post("/households/<int:household_id>/cases")
@require("collector", "village", "township", "county")
def create_case(household_id: int):
    """Open identification (with its entry channel) or gradual exit for a household."""
    data = load(CaseIn(), request.get_json(silent=True))
    household = household_in_scope(household_id)
    if data["kind"] == "gradual_exit" and current_user().role not in ("township", "county"):
        raise problem(403, "auth.role", "渐退由乡镇或县级发起。Gradual exit is opened by township or county.")
    session = get_session()
    try:
        case = open_case(session, household, data["kind"], entry_channel=data.get("entry_channel"),
                         actor=current_user(), reason=data.get("reason"), confirmed=data.get("confirm", False))
    except CaseError as exc:
        session.rollback()
        if exc.code in ("reason_required", "confirm_required"):
            raise problem(422, "validation", str(exc), {"reason": exc.code}) from None
        raise problem(409, "case.conflict", str(exc), {"reason": exc.code}) from None
    session.commit()
    return jsonify(_case_body(case)), 201


@bp.get("/cases/<int:case_id>")
@require(*STAFF)
def case(case_id: int):
    found, _household = _case_in_scope(case_id)
    return jsonify(_case_body(found))


@bp.post("/cases/<int:case_id>/transitions")
@require("collector", "village", "township", "county")
def transition(case_id: int):
    """Take a step. ``on`` (optional) backdates it to the day it happened, within ``BACKDATE_DAYS`` and
    never before the previous step. Refusals are 409 with every reason (zh/en) in ``details.reasons``."""
    found, _household = _case_in_scope(case_id)
    data = load(TransitionIn(), request.get_json(silent=True))
    session = get_session()
    now = today()
    on = data.get("on") or now
    wrong = check_step_date(session, found, on, now)
    if wrong is not None:
        raise problem(422, "validation", f"办理日期无效：{wrong.zh}。{wrong.en}.", {"reason": wrong.code})
    user = current_user()
    try:
        take_step(session, found, data["name"], actor=user, role=user.role, data=data["data"], today=on)
    except TransitionError as exc:
        session.rollback()
        raise problem(409, "transition.refused", "不能办理此步骤。The step is not possible now.",
                      {"reasons": [r.to_dict() for r in exc.reasons]}) from None
    session.commit()
    return jsonify(_case_body(found))


@bp.post("/cases/<int:case_id>/objection")
@require("village", "township")
def objection(case_id: int):
    found, _household = _case_in_scope(case_id)
    data = load(ObjectionIn(), request.get_json(silent=True))
    record_objection(get_session(), found, data["raised"], data["note"], current_user())
    get_session().commit()
    return jsonify(_case_body(found))


@bp.get("/deadlines/overdue")
@require("village", "township", "county", "admin")
def overdue_deadlines():
    """Deadlines missed (open and past due, or met late) in the caller's regions."""
    user = current_user()
    rows = overdue(get_session(), region_condition(Deadline.region_code, user.role, user.region_codes), today())
    return jsonify({"items": DeadlineOut(many=True).dump(rows), "total": len(rows), "today": today().isoformat()})
