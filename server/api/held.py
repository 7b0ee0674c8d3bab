"""Held submissions (待审核, server/register/holds.py): township and county staff list them, look at
one, and apply it, assign it to a household, or reject it. Scope: a reviewer sees a held submission
when any region it concerns is theirs and decides it only when every one is; otherwise 404 / 403."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from server.db import get_session
from server.models import Form, SubmissionVersion, User
from server.register import holds
from server.register.holds import HeldSubmission

from . import bp
from .auth import current_user, require
from .pagination import paginate
from .problems import problem


def held_in_scope(held_id: int, *, lock: bool = False) -> HeldSubmission:
    row = get_session().get(HeldSubmission, held_id, with_for_update=lock or None)
    if row is None or not holds.may_see(current_user(), row):
        raise problem(404, "not_found", "未找到。Not found.")
    return row


@bp.get("/held-submissions")
@require(*holds.REVIEWERS)
def held_submissions():
    """Held submissions in the caller's regions, oldest first; ``state`` (default ``open``; ``all``)."""
    user = current_user()
    state = request.args.get("state") or "open"
    if state not in holds.STATES and state != "all":
        raise problem(422, "validation", "state 无效。Invalid state.", {"fields": {"state": list(holds.STATES)}})
    query = select(HeldSubmission).where(holds.visible_condition(user.role, user.region_codes))
    if state != "all":
        query = query.where(HeldSubmission.state == state)
    if request.args.get("household_id", "").isdigit():
        query = query.where(HeldSubmission.household_id == int(request.args["household_id"]))
    return jsonify(paginate(get_session(), query.order_by(HeldSubmission.id), holds.to_dict))


@bp.get("/held-submissions/<int:held_id>")
@require(*holds.REVIEWERS)
def held_submission(held_id: int):
    """One held submission with the record it carries (reviewers see the data they decide on)."""
    session = get_session()
    row = held_in_scope(held_id)
    version = session.get(SubmissionVersion, row.submission_version_id)
    submitter = session.get(User, version.submitter_id) if version.submitter_id else None
    form = session.get(Form, version.form_id)
    return jsonify({**holds.to_dict(row), "instance_id": version.instance_id,
                    "form_id": form.xml_form_id if form else None,
                    "submitter": submitter.username if submitter else None,
                    "received_at": version.received_at.isoformat() if version.received_at else None,
                    "processing_state": version.processing_state, "record": version.record})


def _decide(held_id: int, decide) -> tuple:  # noqa: ANN001
    session = get_session()
    row = held_in_scope(held_id, lock=True)
    try:
        decide(session, row)
    except holds.DecisionError as exc:
        session.rollback()
        raise problem(exc.status, exc.code, exc.message) from None
    session.commit()
    return jsonify(holds.to_dict(row)), 200


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _note(data: dict) -> str | None:
    note = data.get("note", data.get("reason"))
    if note is not None and (not isinstance(note, str) or len(note) > 2000):
        raise problem(422, "validation", "说明须为不超过 2000 字的文本。The note must be text of at most 2000 characters.")
    return note


@bp.post("/held-submissions/<int:held_id>/apply")
@require(*holds.REVIEWERS)
def apply_held(held_id: int):
    """Apply to the household the record matches now (or create it), the reviewer as actor."""
    note = _note(_body())
    return _decide(held_id, lambda session, row: holds.apply(session, row, current_user(), note=note))


@bp.post("/held-submissions/<int:held_id>/assign")
@require(*holds.REVIEWERS)
def assign_held(held_id: int):
    """Apply to the household ``household_id`` (in the caller's regions); it keeps its region."""
    data = _body()
    household_id = data.get("household_id")
    if not isinstance(household_id, int) or isinstance(household_id, bool) or household_id <= 0:
        raise problem(422, "validation", "须指定农户。household_id is required.",
                      {"fields": {"household_id": ["required integer"]}})
    note = _note(data)
    return _decide(held_id, lambda session, row: holds.apply(session, row, current_user(),
                                                             household_id=household_id, note=note))


@bp.post("/held-submissions/<int:held_id>/reject")
@require(*holds.REVIEWERS)
def reject_held(held_id: int):
    """Reject (nothing applied); a reason is required."""
    note = _note(_body())
    return _decide(held_id, lambda session, row: holds.reject(session, row, current_user(), note=note))
