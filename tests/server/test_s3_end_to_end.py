"""Attachments on S3 end to end: household submissions with photos through the OpenRosa route are
stored as objects on a real S3-protocol server (never on local disk), then the photo bundle and the
CSV zip with media are exported from them, and every file read back matches the hash of what was sent."""
from __future__ import annotations

import hashlib
import io
import os
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from server.accounts import create_project, issue_token
from server.models import Attachment, SubmissionVersion
from server.publishing import publish
from server.storage import S3BlobStore, get_blobs
from tests.server.register.world import api, world  # noqa: F401

INSTANCE = (Path(__file__).resolve().parents[1] / "forms" / "data" / "household_survey_instance.xml").read_bytes()
VERSION = INSTANCE.split(b'version="', 1)[1].split(b'"', 1)[0].decode()
FORM = f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
  <h:head><h:title>household_survey</h:title><model>
    <instance><data id="household_survey" version="{VERSION}"><x/><signoff><authorization_photo/>
      <signature/></signoff><meta><instanceID/></meta></data></instance>
    <bind nodeset="/data/x" type="string"/>
    <bind nodeset="/data/signoff/authorization_photo" type="binary"/>
    <bind nodeset="/data/signoff/signature" type="binary"/></model></h:head>
  <h:body><input ref="/data/x"><label>x</label></input></h:body></h:html>""".encode()
HOUSEHOLDS = 4


@pytest.fixture
def app_config(app_config, s3_settings):
    return {**app_config, **s3_settings}


def _instance(i: int) -> bytes:
    xml = INSTANCE.replace(b"4aa39b06-f50d-4f9a-8f0f-5116ccbc0da0", str(uuid.uuid4()).encode())
    xml = xml.replace(b"uuid:3134b20c-7078-4d2b-a5e6-7da547c4dcd9", f"uuid:{uuid.uuid4()}".encode())
    from scoring.idcard import check_digit
    body = f"1501211968031503{i}"
    xml = xml.replace(b"150121196803150318", (body + check_digit(body)).encode())
    xml = xml.replace(b"authorization.jpg", f"auth-{i}.jpg".encode()).replace(b"signature.png", f"sig-{i}.png".encode())
    return xml.replace("王建国".encode(), f"王建{'甲乙丙丁'[i]}".encode())


def test_photos_on_s3_are_exported_with_matching_hashes(app, db_session, world, api, cli_runner, tmp_path):  # noqa: F811
    assert isinstance(get_blobs(app), S3BlobStore)
    project = create_project(db_session, "土左旗", "150121000000")
    publish(db_session, get_blobs(app), project, FORM)
    token = issue_token(db_session, world.users["collector"], project).token
    db_session.commit()
    client = app.test_client()
    sent: dict[str, bytes] = {}
    for i in range(HOUSEHOLDS):
        photo, signature = os.urandom(200_000), os.urandom(20_000)
        data = {"xml_submission_file": (io.BytesIO(_instance(i)), "submission.xml", "text/xml"),
                f"auth-{i}.jpg": (io.BytesIO(photo), f"auth-{i}.jpg", "image/jpeg"),   # Collect's names differ
                f"sig-{i}.png": (io.BytesIO(signature), f"sig-{i}.png", "image/png")}
        response = client.post(f"/v1/key/{token}/projects/{project.id}/submission", data=data,
                               headers={"X-OpenRosa-Version": "1.0"}, content_type="multipart/form-data")
        assert response.status_code == 201, response.data
        response.close()
        sent[hashlib.sha256(photo).hexdigest()] = photo
        sent[hashlib.sha256(signature).hexdigest()] = signature

    db_session.rollback()
    assert {v.processing_state for v in db_session.scalars(select(SubmissionVersion))} == {"done"}
    stored = set(db_session.scalars(select(Attachment.sha256)))
    assert stored == set(sent)
    on_s3 = dict(get_blobs(app).iter_blobs())
    assert set(sent) <= set(on_s3) and all(on_s3[sha] == len(body) for sha, body in sent.items())
    local = Path(app.config["DATA_DIR"]) / "blobs"
    assert not local.exists() or not any(p.is_file() for p in local.rglob("*"))   # nothing on local disk

    # the console shows a household's photo, streamed from the store
    from server.register.models import Household
    from tests.server.console.conftest import Browser
    browser = Browser(app.test_client())
    browser.login("county")
    household = db_session.scalar(select(Household).where(Household.head_name == "王建乙"))
    photo = browser.get(f"/console/households/{household.id}/files/auth-1.jpg")
    assert photo.status_code == 200 and hashlib.sha256(photo.data).hexdigest() in sent
    db_session.rollback()

    # photo bundle (a background job over the API), downloaded again from the store
    response = api.post("/exports", "county", json={"kind": "photos", "spec": "all",
                                                     "region_code": "150121000000"})
    assert response.status_code == 202, response.get_json()
    from server.jobs import run_pending
    run_pending(app)
    batch = api.get(f"/exports/{response.get_json()['id']}", "county").get_json()
    assert batch["state"] == "done" and batch["households"] == HOUSEHOLDS, batch
    assert batch["summary"]["files"] == 2 * HOUSEHOLDS and batch["summary"]["missing"] == HOUSEHOLDS, batch  # receipt-1.jpg never sent
    bundle = zipfile.ZipFile(io.BytesIO(api.get(f"/exports/{batch['id']}/file", "county").data))
    files = {hashlib.sha256(bundle.read(n)).hexdigest() for n in bundle.namelist() if not n.endswith(".xlsx")}
    assert files == set(sent)

    # CSV zip with media (the CLI, which writes the stored batch file out of the store)
    out = tmp_path / "hs.zip"
    result = cli_runner("export", "csv", "--region", "150121000000", "--form", "household_survey", "-o", str(out))
    assert result.exit_code == 0, result.output
    media = zipfile.ZipFile(out)
    names = [n for n in media.namelist() if n.startswith("media/")]
    assert len(names) == 2 * HOUSEHOLDS
    assert {hashlib.sha256(media.read(n)).hexdigest() for n in names} == set(sent)
