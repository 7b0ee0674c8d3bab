"""The register's processing steps on a real submission: parse → score → register, over OpenRosa."""
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from server.accounts import create_project, issue_token
from server.models import SubmissionVersion
from server.publishing import publish
from server.register.models import Assessment, AuditEntry, Household, HouseholdVersion, WorkflowCase
from server.storage import get_blobs
from tests.server.helpers import shipped_structure

INSTANCE = (Path(__file__).resolve().parents[2] / "forms" / "data" / "household_survey_instance.xml").read_bytes()
VERSION = INSTANCE.split(b'version="', 1)[1].split(b'"', 1)[0].decode()


def _form(form_id: str) -> bytes:
    return f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
  <h:head><h:title>{form_id}</h:title><model>
    <instance><data id="{form_id}" version="{VERSION}"><x/><signoff><authorization_photo/></signoff>
      <meta><instanceID/></meta></data></instance>
    <bind nodeset="/data/x" type="string"/>
    <bind nodeset="/data/signoff/authorization_photo" type="binary"/></model></h:head>
  <h:body><input ref="/data/x"><label>x</label></input></h:body></h:html>""".encode()


@pytest.fixture
def submit(app, db_session, world):
    project = create_project(db_session, "土左旗", "150121000000")
    publish(db_session, get_blobs(app), project, shipped_structure(_form("household_survey")))
    token = issue_token(db_session, world.users["collector"], project).token
    db_session.commit()
    client = app.test_client()

    def post(xml: bytes, files: dict | None = None):
        from server.ingest import process_pending

        data = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}
        for name, content in (files or {}).items():
            data[name] = (io.BytesIO(content), name, "image/jpeg")
        response = client.post(f"/v1/key/{token}/projects/{project.id}/submission", data=data,
                               headers={"X-OpenRosa-Version": "1.0"}, content_type="multipart/form-data")
        response.close()            # runs the inline processing registered on close
        process_pending(app)        # and anything still pending
        db_session.rollback()
        return response
    return post


def test_submission_is_scored_and_registered(submit, db_session):
    xml = INSTANCE.replace(b"<survey_date>2026-11-23</survey_date>", b"<survey_date>2021-06-01</survey_date>")
    assert submit(xml).status_code == 201
    version = db_session.scalars(select(SubmissionVersion)).one()
    assert version.processing_state == "done", version.processing_error
    assert [e["step"] for e in version.processing_log] == ["parse", "score", "register"]
    household = db_session.scalars(select(Household)).one()
    from forms import parse_submission
    assert household.entity_id == parse_submission(xml).entity["id"]
    assert household.head_name == "王建国" and len(household.members) == 4
    hv = db_session.scalars(select(HouseholdVersion)).one()
    assert hv.submission_version_id == version.id and hv.form_id == "household_survey"
    assessment = db_session.scalars(select(Assessment)).one()
    assert assessment.household_version_id == hv.id and assessment.policy_year == 2021
    assert assessment.policy_version and household.current_assessment_id == assessment.id


def test_no_policy_for_the_year_registers_unscored_and_says_why(submit, db_session):
    assert submit(INSTANCE).status_code == 201       # survey 2026: no Inner Mongolia floor shipped for 2026
    version = db_session.scalars(select(SubmissionVersion)).one()
    assert version.processing_state == "done", version.processing_error
    household = db_session.scalars(select(Household)).one()
    assert household.current_assessment_id is None and household.current_version_id is not None
    note = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "assessment.create")).one()
    assert "2026" in note.after["unscored"]


def test_self_declaration_opens_an_identification_case(app, db_session, world):
    from server.register.ingest_steps import apply_to_register
    from tests.server.register.world import record

    class Ctx:   # the part of ingest.StepContext the step reads
        session = db_session
        parsed = None
        results = {}
        form = type("F", (), {"xml_form_id": "self_declaration"})()
        version = type("V", (), {"id": None, "submitter_id": None})()

    Ctx.record = record(form_id="self_declaration", self_declaration={"consent": True, "description": "看病花费大"})
    with app.app_context():
        apply_to_register(Ctx)
    db_session.commit()
    case = db_session.scalars(select(WorkflowCase)).one()
    assert (case.kind, case.entry_channel, case.state) == ("identification", "self_declaration", "new")


def test_authorization_photo_counts_only_once_its_file_arrived(app, submit, db_session, world):
    from datetime import date

    from server.register.cases import build_context, open_case

    xml = INSTANCE.replace(b"<survey_date>2026-11-23</survey_date>", b"<survey_date>2021-06-01</survey_date>")
    assert submit(xml).status_code == 201                        # the photo did not come with it
    household = db_session.scalars(select(Household)).one()
    case = open_case(db_session, household, "identification", entry_channel="cadre_check")
    db_session.commit()
    with app.app_context():
        assert build_context(db_session, case, date(2021, 6, 2))["authorization_photo"] is None
    jpeg = bytes.fromhex("ffd8ffe000104a464946") + b"0" * 64 + b"\xff\xd9"
    assert submit(xml, {"authorization.jpg": jpeg}).status_code == 201    # same XML, file added
    with app.app_context():
        assert build_context(db_session, case, date(2021, 6, 2))["authorization_photo"] == "authorization.jpg"
