"""Held submissions (待审核) in the console: the list a township or county reviewer works through, each
with its reason, and the three decisions (apply, assign to a household, reject with a reason) — the
register's services (server/register/holds.py), which check scope and audit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server.db import get_session
from server.models import Form, SubmissionVersion, User
from server.register import holds
from server.register.holds import HeldSubmission
from server.register.models import Household

from . import access, bp, queries
from .i18n import pick, t

PER_PAGE = 50


def _in_scope(held_id: int) -> HeldSubmission:
    row = get_session().get(HeldSubmission, held_id)
    if row is None or not holds.may_see(access.console_user(), row):
        abort(404)
    return row


@bp.get("/held")
@access.login_required(*holds.REVIEWERS)
def held_list():  # noqa: ANN201
    user = access.console_user()
    session = get_session()
    state = request.args.get("state") if request.args.get("state") in (*holds.STATES, "all") else "open"
    try:
        page_no = min(max(int(request.args.get("page", 1)), 1), 1_000_000)
    except ValueError:
        page_no = 1
    query = select(HeldSubmission).where(holds.visible_condition(user.role, user.region_codes))
    if state != "all":
        query = query.where(HeldSubmission.state == state)
    household_id = request.args.get("household_id", "")
    household_id = int(household_id) if household_id.isdigit() and len(household_id) <= 12 else None
    if household_id is not None:
        query = query.where(HeldSubmission.household_id == household_id)
    rows, total = queries.page(session, query.order_by(HeldSubmission.id), page_no, PER_PAGE)
    versions = {v.id: v for v in session.scalars(select(SubmissionVersion).where(
        SubmissionVersion.id.in_([r.submission_version_id for r in rows])))} if rows else {}
    submitters = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({v.submitter_id for v in versions.values() if v.submitter_id}))).all()) if versions else {}
    forms = dict(session.execute(select(Form.id, Form.xml_form_id).where(
        Form.id.in_({v.form_id for v in versions.values()}))).all()) if versions else {}
    household_ids = {r.household_id for r in rows if r.household_id} | {r.result_household_id for r in rows
                                                                        if r.result_household_id}
    households = {h.id: h for h in session.scalars(select(Household).where(Household.id.in_(household_ids)))} \
        if household_ids else {}
    names = queries.region_names(session, {c for r in rows for c in r.region_codes})
    items = []
    for row in rows:
        version = versions.get(row.submission_version_id)
        record = (version.record or {}) if version else {}
        household = households.get(row.household_id)
        items.append({"row": row, "version": version,
                      "submitter": submitters.get(version.submitter_id) if version else None,
                      "form": forms.get(version.form_id) if version else None,
                      "head_name": record.get("head_name"), "reason": pick(row.message_zh, row.message_en),
                      "household": household if household is not None and in_scope(household) else None,
                      "may_decide": row.state == "open" and _may_decide(user, row),
                      "state": pick(*holds.STATE_LABELS[row.state])})
    return render_template("console/held.html", items=items, total=total, page=page_no, state=state,
                           household_id=household_id,
                           states=holds.STATES, pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), names=names)


def in_scope(household: Household) -> bool:
    from server.roles import may_act_in
    user = access.console_user()
    return may_act_in(user.region_codes, user.role, household.region_code)


def _may_decide(user, row: HeldSubmission) -> bool:  # noqa: ANN001
    from server.roles import may_act_in
    return all(may_act_in(user.region_codes, user.role, c) for c in row.region_codes)


@bp.post("/held/<int:held_id>/decision")
@access.login_required(*holds.REVIEWERS)
def held_decide(held_id: int):  # noqa: ANN201
    user = access.console_user()
    session = get_session()
    row = _in_scope(held_id)
    decision = request.form.get("decision")
    note = (request.form.get("note") or "").strip()[:2000] or None
    try:
        if decision == "apply":
            holds.apply(session, row, user, note=note)
        elif decision == "assign":
            target = (request.form.get("household_id") or "").strip()
            if not target.isdigit() or len(target) > 12:
                flash(t("held.need_household"), "error")
                return redirect(url_for("console.held_list"))
            holds.apply(session, row, user, household_id=int(target), note=note)
        elif decision == "reject":
            holds.reject(session, row, user, note=note)
        else:
            abort(400)
    except holds.DecisionError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("console.held_list"))
    session.commit()
    flash(t("held.decided." + decision), "ok")
    return redirect(url_for("console.held_list"))
