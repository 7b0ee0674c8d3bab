"""Household list (scoped, filtered, paginated, ID numbers masked) and the household page: members,
latest assessment with its findings and score picture, department warnings, procedures with their
options, versions with their submissions, photos through an access-checked route, audit trail."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, render_template, request, send_file
from sqlalchemy import select

from exports.masking import mask_id
from scoring import codes
from server.api.cases import today
from server.db import get_session
from server.models import Form, SubmissionVersion, User
from server.register import audit
from server.register.cases import case_options, identification_terms
from server.workflow import BACKDATE_DAYS, ENTRY_CHANNELS, HOUSEHOLD_NO
from server.register.models import (ComparisonWarning, Deadline, Household, HouseholdVersion, WorkflowCase,
                                    WorkflowStep)

from . import access, bp, queries
from .charts import score_chart
from .views_dashboard import STATUSES, categories

PER_PAGE = 50
MAX_PAGE = 100_000   # deeper pages are past any county's register (and would overflow an OFFSET)
PHOTO_FIELDS = ("authorization_photo", "signature", "evidence_photos")


def household_in_scope(household_id: int) -> Household:
    """The household, or the API's 404 when it does not exist or lies outside the user's regions."""
    household = get_session().get(Household, household_id)
    access.check_region(household.region_code if household is not None else None)
    return household


@bp.get("/households")
@access.login_required(*access.STAFF)
def households():  # noqa: ANN201
    user = access.console_user()
    session = get_session()
    args = request.args
    area = args.get("region") or queries.picked_area(args.getlist("area")) or None
    if area:
        access.checked_region(area)
    page_no = queries.page_number(args.get("page"))
    category = args.get("category") or None
    status = args.get("status") if args.get("status") in STATUSES else None
    sort = args.get("sort") if args.get("sort") in queries.SORTS else None
    descending = sort is not None and args.get("dir") == "desc"
    q = (args.get("q") or "").strip()[:64] or None
    query = queries.households_query(user, area=area, category=category, status=status, q=q, sort=sort,
                                     descending=descending)
    rows, total = queries.page(session, query, page_no, PER_PAGE)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    if page_no > pages:                    # a jump past the end shows the last page
        page_no = pages
        rows, total = queries.page(session, query, page_no, PER_PAGE)
    places = {h.region_code for h in rows} | {h.region_code[:9] + "000" for h in rows}
    names = queries.region_names(session, places)
    heads = queries.head_id_numbers(session, rows)
    filters = {k: v for k, v in {"region": area, "category": category, "status": status,
                                 "q": q}.items() if v}
    ordering = {"sort": sort, "dir": "desc" if descending else None} if sort else {}
    return render_template("console/households.html", rows=rows, total=total, page=page_no, pages=pages,
                           names=names, masked={hid: mask_id(n) for hid, n in heads.items()}, filters=filters,
                           ordering={k: v for k, v in ordering.items() if v}, sort=sort, descending=descending,
                           categories=categories(), statuses=STATUSES,
                           picker=queries.region_picker(session, user, area))


@bp.get("/households/<int:household_id>")
@access.login_required(*access.STAFF)
def household(household_id: int):  # noqa: ANN201
    user = access.console_user()
    session = get_session()
    found = household_in_scope(household_id)
    record = found.current_version.record if found.current_version else {}
    result = found.current_assessment.result if found.current_assessment else None
    show_ids = access.sees_id_numbers(user)
    cases = _cases(session, found, user)
    members = [{"member": m, "id_shown": m.id_number if show_ids else mask_id(m.id_number)}
               for m in sorted(found.members, key=lambda m: (not m.active, m.position, m.id))]
    held_open = 0
    if user.role in ("township", "county", "admin"):
        from sqlalchemy import func

        from server.register.holds import HeldSubmission
        held_open = session.scalar(select(func.count()).select_from(HeldSubmission).where(
            HeldSubmission.household_id == found.id, HeldSubmission.state == "open"))
    from server.citations import cite
    return render_template(
        "console/household.html", h=found, record=record, result=result, held_open=held_open,
        cite=cite, policy_name=_policy_name(result), form_titles=_form_titles(session),
        score=score_chart(result) if result else None, members=members, show_ids=show_ids,
        path=queries.region_path(session, found.region_code), warnings=_warnings(session, found),
        cases=cases, versions=_versions(session, found),
        photos=_photos(session, found, record), audit_entries=audit.for_household(session, found.id, limit=500),
        may_decide=user.role == "county", may_resolve=user.role in ("township", "county"),
        may_open=user.role in ("collector", "village", "township", "county"),
        may_object=user.role in ("village", "township"), today_date=today(),
        open_identification=any(c["case"].open and c["case"].kind == "identification" for c in cases),
        open_exit=any(c["case"].open and c["case"].kind == "gradual_exit" for c in cases),
        may_open_exit=user.role in ("township", "county"),
        method_codes=codes.ELIMINATION_METHOD.codes, entry_channels=ENTRY_CHANNELS,
        identification_terms=identification_terms(found), backdate_days=BACKDATE_DAYS,
        earliest_step=today() - timedelta(days=BACKDATE_DAYS),
        household_no_pattern=HOUSEHOLD_NO.pattern.replace("-]", "\\-]"))


def _warnings(session, household: Household) -> list:  # noqa: ANN001
    return list(session.scalars(select(ComparisonWarning).where(ComparisonWarning.household_id == household.id)
                                .order_by(ComparisonWarning.id)))


def _cases(session, household: Household, user) -> list[dict]:  # noqa: ANN001
    out = []
    for case in session.scalars(select(WorkflowCase).where(WorkflowCase.household_id == household.id)
                                .order_by(WorkflowCase.id)):
        steps = list(session.execute(select(WorkflowStep, User.username)
                                     .outerjoin(User, User.id == WorkflowStep.user_id)
                                     .where(WorkflowStep.case_id == case.id).order_by(WorkflowStep.id)))
        deadlines = list(session.scalars(select(Deadline).where(Deadline.case_id == case.id).order_by(Deadline.id)))
        options = case_options(session, case, user.role, today()) if case.open else []
        out.append({"case": case, "steps": steps, "deadlines": deadlines,
                    "allowed": [o for o in options if o.allowed and not o.transition.negative],
                    "negative": [o for o in options if o.allowed and o.transition.negative],
                    "blocked": [o for o in options if not o.allowed]})
    return out


def _versions(session, household: Household) -> list:  # noqa: ANN001
    return list(session.execute(
        select(HouseholdVersion, SubmissionVersion, Form.xml_form_id, User.username)
        .outerjoin(SubmissionVersion, SubmissionVersion.id == HouseholdVersion.submission_version_id)
        .outerjoin(Form, Form.id == SubmissionVersion.form_id)
        .outerjoin(User, User.id == SubmissionVersion.submitter_id)
        .where(HouseholdVersion.household_id == household.id).order_by(HouseholdVersion.number.desc())))


def _photos(session, household: Household, record: dict) -> list[dict]:  # noqa: ANN001
    out = []
    for key in PHOTO_FIELDS:
        names = record.get(key) or []
        for name in [names] if isinstance(names, str) else names:
            if name:
                found = queries.attachment_for(session, household.id, name)
                out.append({"field": key, "name": name, "present": found is not None,
                            "image": bool(found and (found.content_type or "").startswith("image/"))})
    return out


@bp.get("/households/<int:household_id>/files/<path:name>")
@access.login_required(*access.STAFF)
def household_file(household_id: int, name: str):  # noqa: ANN201
    """A photo or signature of this household (its own submissions' attachments only)."""
    from server.storage import get_blobs

    session = get_session()
    household_in_scope(household_id)
    found = queries.attachment_for(session, household_id, name)
    if found is None:
        abort(404)
    image = (found.content_type or "").startswith("image/") and found.content_type != "image/svg+xml"
    response = send_file(get_blobs().open(found.sha256), mimetype=found.content_type if image
                         else "application/octet-stream", as_attachment=not image, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _policy_name(result: dict | None) -> str:
    """The name of the region whose policy set the assessment's 监测标准 (e.g. 内蒙古自治区)."""
    from scoring.policy import PolicyError, load_policy

    if not result or not result.get("region_code") or not result.get("year"):
        return ""
    try:
        return load_policy(str(result["region_code"]), int(result["year"])).region_name
    except (PolicyError, ValueError, TypeError):
        return ""


def _form_titles(session) -> dict[str, str]:  # noqa: ANN001
    """Form id → the title of its latest version (what collectors see in Collect)."""
    from server.models import FormVersion

    return {form_id: title for form_id, title in session.execute(
        select(Form.xml_form_id, FormVersion.title).join(FormVersion, FormVersion.form_id == Form.id)
        .order_by(FormVersion.id)) if title}
