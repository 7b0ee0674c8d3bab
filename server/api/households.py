"""Households, members, versions, assessments, submissions, audit; re-scoring; the notice list."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from server.db import get_session
from server.models import Form, SubmissionVersion
from server.register import audit
from server.register.models import (Assessment, ComparisonWarning, Household, HouseholdVersion, Member,
                                    WorkflowCase)
from server.register.scope import code_prefix, region_condition

from . import bp
from .auth import check_region, current_user, require
from .pagination import paginate
from .problems import load, problem
from .schemas import (AssessmentOut, HouseholdDetailOut, HouseholdOut, MemberOut, RescoreIn, SubmissionOut,
                      VersionOut, WarningOut)

STAFF = ("collector", "village", "township", "county", "admin")


def household_in_scope(household_id: int) -> Household:
    household = get_session().get(Household, household_id)
    if household is None:
        raise problem(404, "not_found", "未找到。Not found.")
    check_region(household.region_code)
    return household


@bp.get("/households")
@require(*STAFF)
def households():
    """Households in the caller's regions; filters: region, status, category, q (户编号 or head name)."""
    user = current_user()
    query = select(Household).where(region_condition(Household.region_code, user.role, user.region_codes))
    args = request.args
    if args.get("region"):
        check_region(args["region"])
        from server.roles import subtree_prefix
        query = query.where(code_prefix(Household.region_code, subtree_prefix(args["region"])))
    for name in ("status", "category", "conflict"):
        if args.get(name):
            query = query.where(getattr(Household, name) == args[name])
    if args.get("q") and args["q"].strip():
        from server.register.search import search_condition
        query = query.where(search_condition(args["q"][:64]))
    return jsonify(paginate(get_session(), query.order_by(Household.id), HouseholdOut().dump))


@bp.get("/households/<int:household_id>")
@require(*STAFF)
def household(household_id: int):
    return jsonify(HouseholdDetailOut().dump(household_in_scope(household_id)))


@bp.get("/households/<int:household_id>/members")
@require(*STAFF)
def members(household_id: int):
    household_in_scope(household_id)
    query = select(Member).where(Member.household_id == household_id).order_by(Member.position, Member.id)
    return jsonify(paginate(get_session(), query, MemberOut().dump))


@bp.get("/households/<int:household_id>/versions")
@require(*STAFF)
def versions(household_id: int):
    household_in_scope(household_id)
    query = select(HouseholdVersion).where(HouseholdVersion.household_id == household_id).order_by(
        HouseholdVersion.number)
    return jsonify(paginate(get_session(), query, VersionOut().dump))


@bp.get("/households/<int:household_id>/assessments")
@require(*STAFF)
def assessments(household_id: int):
    household_in_scope(household_id)
    query = select(Assessment).where(Assessment.household_id == household_id).order_by(Assessment.id)
    return jsonify(paginate(get_session(), query, AssessmentOut().dump))


@bp.get("/households/<int:household_id>/warnings")
@require(*STAFF)
def warnings(household_id: int):
    household_in_scope(household_id)
    query = select(ComparisonWarning).where(ComparisonWarning.household_id == household_id).order_by(
        ComparisonWarning.id)
    return jsonify(paginate(get_session(), query, WarningOut().dump))


@bp.get("/households/<int:household_id>/audit")
@require(*STAFF)
def household_audit(household_id: int):
    from server.register.models import AuditEntry

    household_in_scope(household_id)
    query = select(AuditEntry).where(AuditEntry.household_id == household_id).order_by(AuditEntry.id)
    return jsonify(paginate(get_session(), query, audit.to_dict))


@bp.post("/households/<int:household_id>/conflict/resolve")
@require("township", "county")
def resolve_conflict(household_id: int):
    from server.register.households import resolve_conflict as resolve

    household = household_in_scope(household_id)
    resolve(get_session(), household, current_user())
    get_session().commit()
    return jsonify(HouseholdOut().dump(household))


@bp.get("/submissions")
@require(*STAFF)
def submissions():
    """Submission versions that produced household versions in the caller's regions (and a
    collector's own submissions)."""
    user = current_user()
    session = get_session()
    in_scope = (select(HouseholdVersion.submission_version_id)
                .join(Household, Household.id == HouseholdVersion.household_id)
                .where(region_condition(Household.region_code, user.role, user.region_codes),
                       HouseholdVersion.submission_version_id.is_not(None)))
    condition = SubmissionVersion.id.in_(in_scope)
    if user.role == "collector":
        condition = condition | (SubmissionVersion.submitter_id == user.id)
    query = select(SubmissionVersion).where(condition).order_by(SubmissionVersion.id)

    def dump(version: SubmissionVersion) -> dict:
        form = session.get(Form, version.form_id)
        household_id = session.scalar(select(HouseholdVersion.household_id).where(
            HouseholdVersion.submission_version_id == version.id).limit(1))
        return SubmissionOut().dump({"id": version.id, "instance_id": version.instance_id,
                                     "form_id": form.xml_form_id if form else "", "household_id": household_id,
                                     "processing_state": version.processing_state,
                                     "received_at": version.received_at})
    return jsonify(paginate(session, query, dump))


@bp.post("/rescore")
@require("county", "admin")
def rescore():
    """Queue re-scoring of every household of a region (e.g. after a policy change)."""
    from server.jobs import enqueue

    data = load(RescoreIn(), request.get_json(silent=True))
    if not data.get("region_code"):
        raise problem(422, "validation", "须指定区划。region_code is required.")
    check_region(data["region_code"])
    session = get_session()
    job = enqueue(session, "rescore", {"region_code": data["region_code"], "year": data.get("year")},
                  region_code=data["region_code"], created_by=current_user().id)
    audit.record(session, "job.enqueue", actor=current_user(), entity_type="job", entity_id=job.id,
                 region_code=data["region_code"], after={"kind": "rescore", "year": data.get("year")})
    session.commit()
    return jsonify(job.to_dict()), 202


@bp.get("/notices")
@require("village", "township", "county", "admin")
def notices():
    """The notice list of a region: households under public notice, admitted, and not admitted or
    returned — with the reason, which the household is told. No 证件号码, phone or health data."""
    user = current_user()
    session = get_session()
    query = (select(WorkflowCase, Household).join(Household, Household.id == WorkflowCase.household_id)
             .where(region_condition(Household.region_code, user.role, user.region_codes),
                    WorkflowCase.state.in_(("village_notice", "county_notice", "entered", "rejected",
                                            "eliminated")) | WorkflowCase.reason.is_not(None))
             .order_by(Household.region_code, Household.id, WorkflowCase.id))
    if request.args.get("region"):
        check_region(request.args["region"])
        from server.roles import subtree_prefix
        query = query.where(code_prefix(Household.region_code, subtree_prefix(request.args["region"])))
    from server.workflow import PROCEDURES

    rows = []
    for case, household in session.execute(query.limit(2000)):
        proc = PROCEDURES[case.procedure]
        zh, en = proc.states.get(case.state, (case.state, case.state))
        rows.append({"household_id": household.id, "household_no": household.household_no,
                     "region_code": household.region_code, "head_name": household.head_name,
                     "category": household.category, "procedure": case.kind, "state": case.state,
                     "state_zh": zh, "state_en": en, "reason": case.reason,
                     "notice_started_on": (case.context or {}).get("notice_started_on")})
    return jsonify({"items": rows, "total": len(rows)})
