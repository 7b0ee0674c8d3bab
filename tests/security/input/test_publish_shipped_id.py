"""A form that takes the id of a shipped form but not its structure is refused at publish time
(issue #12 §4): every submission to it would otherwise fail processing at the register step."""
from __future__ import annotations

import pytest

from forms import FORM_IDS, build_form, load_policy_file
from forms.build import DEMO_POLICY
from server.accounts import create_project
from server.publishing import PublishError, publish
from server.storage import get_blobs
from tests.server.conftest import seed_regions
from tests.server.helpers import form_xml


@pytest.fixture
def project(app, db_session):
    seed_regions(db_session)
    project = create_project(db_session, "土左旗监测", "150121000000")
    db_session.commit()
    return project


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_other_structure_under_a_shipped_id_is_refused(app, db_session, project, form_id):
    with pytest.raises(PublishError) as refused:
        publish(db_session, get_blobs(app), project, form_xml(form_id=form_id))
    message = str(refused.value)
    assert "another structure" in message and "结构不同" in message and "fields are missing" in message
    db_session.rollback()


def test_shipped_forms_and_other_ids_publish(app, db_session, project):
    policy = load_policy_file(DEMO_POLICY)
    for form_id in FORM_IDS:
        built = build_form(form_id, policy)
        version, created = publish(db_session, get_blobs(app), project, built.xml_bytes)
        assert created and version.version == built.version
    built = build_form("self_declaration", policy)
    extra = built.xml_bytes.replace(b"<meta>", b"<extra_note/><meta>", 1)   # extra fields are fine
    assert b"<extra_note/>" in extra
    extra = extra.replace(f'version="{built.version}"'.encode(), f'version="{built.version}x"'.encode())
    assert publish(db_session, get_blobs(app), project, extra)[1]
    publish(db_session, get_blobs(app), project, form_xml(form_id="village_visit"))   # not a shipped id


def test_cli_publish_explains_the_refusal(cli_runner, project, tmp_path):
    xml = tmp_path / "household_survey.xml"
    xml.write_bytes(form_xml(form_id="household_survey"))
    result = cli_runner("forms", "publish", str(xml), "--project", str(project.id))
    assert result.exit_code != 0
    assert "another structure" in result.output and "结构不同" in result.output, result.output
