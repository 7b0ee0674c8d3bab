"""Workflow cases in the register: opening, context from the register, steps and deadlines."""
import io
from datetime import date

import pytest
from sqlalchemy import select

from server.jobs import run_pending
from server.register.cases import CaseError, build_context, open_case, take_step
from server.register.comparison_import import create_batch
from server.register.households import apply_record
from server.register.models import Deadline, WorkflowCase, WorkflowStep
from server.storage import get_blobs
from tests.server.register.world import record


def _batch(app, db_session):
    create_batch(db_session, get_blobs(app), source="vehicles", region_code="150121000000", filename="v.csv",
                 stream=io.BytesIO("身份证号码,号牌号码\n110101199001011111,京A1\n".encode()))
    db_session.commit()
    run_pending(app)
    db_session.rollback()


def test_only_a_comparison_after_the_case_opened_counts(app, db_session, world):
    household = apply_record(db_session, record()).household
    db_session.commit()
    _batch(app, db_session)
    case = open_case(db_session, household, "identification", entry_channel="department_warning")
    db_session.commit()
    assert build_context(db_session, case, date(2021, 3, 1))["comparison_done"] is False
    _batch(app, db_session)
    ctx = build_context(db_session, case, date(2021, 3, 1))
    assert ctx["comparison_done"] is True and ctx["open_exclusion_warnings"] == 0
    assert ctx["authorization_photo"] == "auth-1.jpg" and ctx["has_survey"] is True


def test_one_open_case_per_kind_and_entry_channel_required(db_session, world):
    household = apply_record(db_session, record()).household
    with pytest.raises(CaseError):
        open_case(db_session, household, "identification")
    open_case(db_session, household, "identification", entry_channel="cadre_check")
    with pytest.raises(CaseError):
        open_case(db_session, household, "identification", entry_channel="cadre_check")


def test_deadlines_are_stored_and_recomputed(db_session, world):
    household = apply_record(db_session, record()).household
    case = open_case(db_session, household, "identification", entry_channel="self_declaration")
    take_step(db_session, case, "apply", actor=world.users["village"], role="village", today=date(2024, 9, 27))
    db_session.commit()
    rows = {d.code: d for d in db_session.scalars(select(Deadline).where(Deadline.case_id == case.id))}
    assert rows["self_declaration_check"].due_on == date(2024, 10, 10)      # 29 Sep adjusted working day
    assert rows["identification_total"].due_on == date(2024, 10, 23)      # and Sat 12 Oct
    take_step(db_session, case, "visit", actor=world.users["collector"], role="collector", today=date(2024, 10, 8))
    db_session.commit()
    rows = {d.code: d for d in db_session.scalars(select(Deadline).where(Deadline.case_id == case.id))}
    assert rows["self_declaration_check"].met_on == date(2024, 10, 8)
    assert db_session.get(WorkflowCase, case.id).state == "visited"


def test_region_configuration_file_chooses_the_procedure(app, db_session, world, tmp_path):
    import json
    config = tmp_path / "regions.json"
    config.write_text(json.dumps({"identification": {"default": "identification_im8",
                                                     "150121100": "identification_simplified"},
                                  "elimination": {"default": "elimination"},
                                  "gradual_exit": {"default": "gradual_exit"}}), encoding="utf-8")
    app.config["WORKFLOW_REGIONS_FILE"] = str(config)
    app.extensions.pop("shoudi.workflow_regions", None)
    household = apply_record(db_session, record()).household
    with app.app_context():
        case = open_case(db_session, household, "identification", entry_channel="cadre_check")
    assert case.procedure == "identification_simplified"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"identification": {"default": "elimination"}}), encoding="utf-8")
    app.config["WORKFLOW_REGIONS_FILE"] = str(bad)
    app.extensions.pop("shoudi.workflow_regions", None)
    from server.workflow import UnknownProcedure
    with app.app_context(), pytest.raises(UnknownProcedure):
        open_case(db_session, household, "gradual_exit")


def test_a_return_reason_lasts_until_the_next_step(db_session, world):
    household = apply_record(db_session, record()).household
    case = open_case(db_session, household, "identification", entry_channel="cadre_check")
    for name, role, data in [("visit_direct", "collector", None), ("authorize", "collector", None),
                             ("publish_village_notice", "village", None)]:
        take_step(db_session, case, name, actor=None, role=role, data=data, today=date(2021, 3, 1))
    take_step(db_session, case, "return", actor=None, role="township", data={"reason": "收入漏报务工收入"},
              today=date(2021, 3, 2))
    assert (case.state, case.reason, household.status_reason) == ("visited", "收入漏报务工收入", "收入漏报务工收入")
    take_step(db_session, case, "authorize", actor=None, role="collector", today=date(2021, 3, 3))
    assert case.reason is None and household.status_reason is None
    steps = db_session.scalars(select(WorkflowStep.data).where(WorkflowStep.case_id == case.id)).all()
    assert {"reason": "收入漏报务工收入"} in steps
