"""Workflow cases in the register: open a case, build the guard context from the register, list the
options of a user, take a step (recorded, audited, deadlines recomputed) and list overdue deadlines."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.models.base import utcnow
from server.roles import subtree_prefix
from server.workflow import (ENTRY_CHANNELS, GRADUAL_EXIT_OPENS, IDENTIFICATION_OPENS, Option, Procedure, TransitionError, deadlines,
                             load_calendar, options, procedure_for, step_date_reason, take)
from server.workflow.engine import Reason

from . import audit
from .assessing import summary
from .models import ComparisonBatch, ComparisonWarning, Deadline, Household, WorkflowCase, WorkflowStep

_DATE_KEYS = {"notice_started_on", "identified_on", "eliminated_on", "taper_started_on"}

# Household status after a procedure reaches a state (kind, state) -> status
_STATUS = {
    ("identification", "entered"): "monitored",
    ("identification", "rejected"): "not_admitted",
    ("elimination", "eliminated"): "eliminated",
    ("gradual_exit", "exited"): "exited",
}


class CaseError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _calendar():
    """The app's working-day calendar (loaded once per app; the packaged one outside an app)."""
    if not has_app_context():
        return load_calendar(lenient=True)
    ext = current_app.extensions
    if "shoudi.calendar" not in ext:
        ext["shoudi.calendar"] = load_calendar(current_app.config.get("CALENDAR_FILE") or None, lenient=True)
    return ext["shoudi.calendar"]


def _region_config():
    """The per-region procedure configuration (WORKFLOW_REGIONS_FILE), validated once per app."""
    if not has_app_context():
        return None
    ext = current_app.extensions
    if "shoudi.workflow_regions" not in ext:
        path = current_app.config.get("WORKFLOW_REGIONS_FILE")
        config = None
        if path:
            import json
            from pathlib import Path

            from server.workflow import validate_config
            config = json.loads(Path(path).read_text(encoding="utf-8"))
            validate_config(config)
        ext["shoudi.workflow_regions"] = config
    return ext["shoudi.workflow_regions"]


def procedure(case: WorkflowCase) -> Procedure:
    """The case's procedure with the region's current parameters (the procedure itself never changes
    under an open case, even when the region configuration does)."""
    from server.workflow import PROCEDURES

    configured = procedure_for(case.kind, case.context.get("_region", ""), _region_config())
    return configured if configured.name == case.procedure else PROCEDURES[case.procedure]


def identification_terms(household: Household) -> str | None:
    """How an identification may be opened for this household now: "open", "reasoned" (a written
    reason and an explicit confirmation) or None (not at all) — ``IDENTIFICATION_OPENS``."""
    return IDENTIFICATION_OPENS.get(household.status or "registered")


def open_case(session: Session, household: Household, kind: str, *, entry_channel: str | None = None,
              actor: Any = None, reason: str | None = None, confirmed: bool = False) -> WorkflowCase:
    """Open a procedure for a household (one open case per kind). An identification follows the
    household's status (``IDENTIFICATION_OPENS``): a monitored household is never re-identified; an
    eliminated or exited one only with ``reason`` and ``confirmed``."""
    reason = (reason or "").strip() or None
    if kind == "identification" and entry_channel not in ENTRY_CHANNELS:
        raise CaseError("entry_channel", "识别须注明线索来源 / identification needs an entry channel: "
                        + ", ".join(ENTRY_CHANNELS))
    existing = session.scalar(select(WorkflowCase).where(WorkflowCase.household_id == household.id,
                                                         WorkflowCase.kind == kind, WorkflowCase.open))
    if existing is not None:
        raise CaseError("case_open", f"该户已有进行中的{kind}程序 / an open {kind} case exists (#{existing.id})")
    reopened_from = None
    if kind == "identification":
        terms = identification_terms(household)
        if terms is None:
            raise CaseError(f"status:{household.status}",
                            "该户已是监测对象（或正在识别），不能重新启动识别程序 / the household is already "
                            "monitored or being identified; it cannot be identified again")
        if terms == "reasoned":
            if not reason:
                raise CaseError("reason_required", "重新识别已消除风险或已退出的户须填写原因 / re-identifying a "
                                "household whose risk was eliminated or that exited needs a reason")
            if not confirmed:
                raise CaseError("confirm_required", "重新识别须确认 / re-identification must be confirmed")
            reopened_from = household.status
    proc = procedure_for(kind, household.region_code, _region_config())
    if kind == "gradual_exit" and household.status not in GRADUAL_EXIT_OPENS:
        raise CaseError(f"status:{household.status}", "渐退仅适用于监测帮扶中的户 / a gradual exit is only for a "
                        "monitored household")
    context = {"_region": household.region_code}
    if reopened_from:
        context.update({"_reopened_from": reopened_from, "_reopen_reason": reason})
    case = WorkflowCase(household_id=household.id, kind=kind, procedure=proc.name, state=proc.initial,
                        entry_channel=entry_channel, context=context, open=True)
    session.add(case)
    session.flush()
    before = None
    if kind == "identification":
        before = {"status": household.status}
        household.status = "identifying"
    after = {"kind": kind, "procedure": proc.name, "entry_channel": entry_channel}
    if reopened_from:
        after.update({"reopened_from": reopened_from, "reason": reason})
    audit.record(session, "case.open", actor=actor, entity_type="workflow_case", entity_id=case.id,
                 household_id=household.id, region_code=household.region_code, before=before, after=after)
    return case


def previous_step_on(session: Session, case: WorkflowCase) -> date | None:
    return session.scalar(select(WorkflowStep.on).where(WorkflowStep.case_id == case.id)
                          .order_by(WorkflowStep.id.desc()).limit(1))


def check_step_date(session: Session, case: WorkflowCase, on: date, today: date) -> Reason | None:
    """Why a step of ``case`` cannot be recorded as done on ``on`` (None when it can)."""
    return step_date_reason(on, today, previous_step_on(session, case))


def _stored(value):
    return value.isoformat() if isinstance(value, date) else value


def _loaded(key, value):
    if key in _DATE_KEYS and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def build_context(session: Session, case: WorkflowCase, today: date) -> dict:
    """The plain-data context the guards read, from the case and the register."""
    household = session.get(Household, case.household_id)
    record = household.current_version.record if household.current_version else {}
    ctx = {k: _loaded(k, v) for k, v in (case.context or {}).items() if not k.startswith("_")}
    ctx["today"] = today
    ctx["entry_channel"] = case.entry_channel
    ctx["authorization_photo"] = _received_photo(session, household, record.get("authorization_photo"))
    ctx["has_survey"] = bool(record.get("members")) and bool(record.get("income"))
    ctx["assessment"] = (summary(household.current_assessment.result)
                         if household.current_assessment is not None else None)
    ctx["identified_on"] = household.identified_on
    ctx["measures_count"] = len(record.get("measures") or [])
    ctx["whole_household_no_labour"] = bool(record.get("whole_household_no_labour"))
    ancestors = [household.region_code[:n] + "0" * (12 - n) for n in (2, 4, 6, 9, 12)]
    # a comparison counts for this case when a batch covering the household's region finished after
    # the case was opened (an older batch never saw the members this case is about)
    ctx["comparison_done"] = session.scalar(select(func.count()).select_from(ComparisonBatch).where(
        ComparisonBatch.region_code.in_(ancestors), ComparisonBatch.state.in_(("done", "replaced")),
        ComparisonBatch.created_at >= case.opened_at)) > 0
    ctx["open_exclusion_warnings"] = session.scalar(select(func.count()).select_from(ComparisonWarning).where(
        ComparisonWarning.household_id == household.id, ComparisonWarning.status.in_(("open", "confirmed"))))
    return ctx


def _received_photo(session: Session, household: Household, name: str | None) -> str | None:
    """The authorization photo's name when its file actually arrived with a submission of this
    household (a split upload may still lack it); records entered without a submission keep the name."""
    if not name:
        return None
    from server.models import Attachment

    from .models import HouseholdVersion
    via_submissions = session.scalars(select(HouseholdVersion.submission_version_id).where(
        HouseholdVersion.household_id == household.id, HouseholdVersion.submission_version_id.is_not(None))
        .limit(1)).first()
    if via_submissions is None:
        return name
    received = session.scalars(select(Attachment.id).join(
        HouseholdVersion, HouseholdVersion.submission_version_id == Attachment.version_id).where(
        HouseholdVersion.household_id == household.id, Attachment.name == name,
        Attachment.sha256.is_not(None)).limit(1)).first()
    return name if received is not None else None


def case_options(session: Session, case: WorkflowCase, role: str, today: date) -> list[Option]:
    return options(procedure(case), case.state, build_context(session, case, today), role)


def take_step(session: Session, case: WorkflowCase, name: str, *, actor: Any, role: str,
              data: dict | None = None, today: date | None = None) -> WorkflowStep:
    """Take a transition; raises ``TransitionError`` (reasons zh/en) when refused."""
    if not case.open:
        raise TransitionError([Reason("case_closed", "该程序已结束", "The case is closed")])
    if today is None:
        from server.workflow import china_today
        today = china_today()
    proc = procedure(case)
    step = take(proc, case.state, name, build_context(session, case, today), role, data)
    household = session.get(Household, case.household_id)
    if step.data.get("household_no"):
        _check_household_no(session, household, step.data["household_no"])
    before = {"state": case.state, "status": household.status}
    row = WorkflowStep(case_id=case.id, transition=step.transition, from_state=step.from_state,
                       to_state=step.to_state, role=role, user_id=getattr(actor, "id", None), on=step.on,
                       data=step.data)
    session.add(row)
    context = dict(case.context or {})
    for key, value in step.context_updates.items():
        if key in ("identified_on", "eliminated_on", "household_no"):
            continue
        context[key] = _stored(value)
    case.context = context
    case.state = step.to_state
    # the reason of a return or rejection describes the current situation (and is what the household
    # is told); the next step without one clears it — the steps and the audit log keep every reason
    case.reason = step.data.get("reason")
    household.status_reason = step.data.get("reason")
    updates = step.context_updates
    if "identified_on" in updates:
        household.identified_on = updates["identified_on"]
    if "eliminated_on" in updates:
        household.eliminated_on = updates["eliminated_on"]
    if updates.get("household_no") and not household.household_no:
        household.household_no = updates["household_no"]
        household.key = updates["household_no"]
    status = _STATUS.get((case.kind, step.to_state))
    if status == "not_admitted" and (case.context or {}).get("_reopened_from"):
        status = case.context["_reopened_from"]   # a re-identification not admitted leaves the household as it was
    if status:
        household.status = status
    elif step.to_state != step.from_state and case.kind == "identification":
        household.status = "identifying"
    household.updated_at = utcnow()
    if step.to_state in proc.terminal:
        case.open = False
        case.closed_at = utcnow()
    session.flush()
    _recompute_deadlines(session, case, proc, household, today)
    audit.record(session, "case.transition", actor=actor, entity_type="workflow_case", entity_id=case.id,
                 household_id=household.id, region_code=household.region_code, before=before,
                 after={"state": case.state, "status": household.status, "transition": name, "role": role,
                        "data": step.data})
    if (case.kind, case.state) == ("identification", "entered"):
        open_case(session, household, "elimination", actor=actor)
    return row


def _check_household_no(session: Session, household: Household, number: str) -> None:
    """户编号 is unique in the register, and a household keeps the number it was given."""
    if household.household_no and household.household_no != number:
        raise TransitionError([Reason("household_no_differs", f"该户已有户编号 {household.household_no}，须与之一致",
                                      f"The household already has the number {household.household_no}")])
    taken = session.scalar(select(Household.id).where(Household.household_no == number,
                                                      Household.id != household.id).limit(1))
    if taken is not None:
        raise TransitionError([Reason("household_no_taken", "该户编号已被其他户使用，请核对",
                                      "This national household number belongs to another household")])


def record_objection(session: Session, case: WorkflowCase, raised: bool, note: str, actor: Any) -> None:
    """An objection during a public notice (or its resolution); blocks the notice from completing."""
    household = session.get(Household, case.household_id)
    context = dict(case.context or {})
    before = {"objection": bool(context.get("objection"))}
    context["objection"] = bool(raised)
    case.context = context
    audit.record(session, "case.objection", actor=actor, entity_type="workflow_case", entity_id=case.id,
                 household_id=household.id, region_code=household.region_code, before=before,
                 after={"objection": bool(raised), "note": note})


def _recompute_deadlines(session: Session, case: WorkflowCase, proc: Procedure, household: Household,
                         today: date) -> None:
    steps = [(s.transition, s.on) for s in session.scalars(
        select(WorkflowStep).where(WorkflowStep.case_id == case.id).order_by(WorkflowStep.id))]
    session.query(Deadline).filter(Deadline.case_id == case.id).delete()
    for status in deadlines(proc, steps, _calendar(), today):
        session.add(Deadline(case_id=case.id, household_id=household.id, region_code=household.region_code,
                             code=status.code, started_on=status.started_on, due_on=status.due_on,
                             met_on=status.met_on))


def overdue(session: Session, scope_condition, today: date, limit: int = 500, offset: int = 0) -> list[Deadline]:  # noqa: ANN001
    """Unmet deadlines whose due date has passed, and met ones that were met late."""
    return list(session.scalars(select(Deadline).where(
        scope_condition, or_(Deadline.met_on.is_(None) & (Deadline.due_on < today), Deadline.met_on > Deadline.due_on))
        .order_by(Deadline.due_on, Deadline.id).limit(limit).offset(offset)))


def region_prefix(code: str) -> str:
    return subtree_prefix(code)
