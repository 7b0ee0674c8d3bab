"""Distinct household_survey submissions with photos, for end-to-end tests (S3, backup drills)."""
from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

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


def instance(i: int) -> bytes:
    """Household i (0 ≤ i < 1000): its own entity, instanceID, head (name, ID number) and file names."""
    from scoring.idcard import check_digit

    xml = INSTANCE.replace(b"4aa39b06-f50d-4f9a-8f0f-5116ccbc0da0", str(uuid.uuid4()).encode())
    xml = xml.replace(b"uuid:3134b20c-7078-4d2b-a5e6-7da547c4dcd9", f"uuid:{uuid.uuid4()}".encode())
    # every member's ID number of its own (a person already in another household is held for review)
    for old, born in ((b"150121196803150318", "19680315"), (b"150121197008200421", "19700820"),
                      (b"150121201205090136", "20120509"), (b"150121194201010263", "19420101")):
        body = f"150121{born}{i:03d}"
        xml = xml.replace(old, (body + check_digit(body)).encode())
    xml = xml.replace(b"authorization.jpg", f"auth-{i}.jpg".encode()).replace(b"signature.png", f"sig-{i}.png".encode())
    xml = xml.replace(b"<survey_date>2026-11-23</survey_date>", b"<survey_date>2021-06-01</survey_date>")  # scored
    return xml.replace("王建国".encode(), f"王建{i}".encode())


def submission(i: int, *, photo_size: int = 200_000) -> tuple[dict, dict[str, bytes]]:
    """(multipart form data for the Flask test client, {file name: bytes sent})."""
    files = {f"auth-{i}.jpg": os.urandom(photo_size), f"sig-{i}.png": os.urandom(photo_size // 10)}
    data = {"xml_submission_file": (io.BytesIO(instance(i)), "submission.xml", "text/xml")}
    for name, body in files.items():
        data[name] = (io.BytesIO(body), name, "image/jpeg" if name.endswith(".jpg") else "image/png")
    return data, files


def setup_project(app, db_session, collector):  # noqa: ANN001, ANN201
    """A county project with the household form published; returns (project id, submission URL)."""
    from server.accounts import create_project, issue_token
    from server.publishing import publish
    from server.storage import get_blobs
    from tests.server.helpers import shipped_structure

    project = create_project(db_session, "土左旗", "150121000000")
    publish(db_session, get_blobs(app), project, shipped_structure(FORM))   # a stub of the shipped form
    token = issue_token(db_session, collector, project).token
    db_session.commit()
    return project.id, f"/v1/key/{token}/projects/{project.id}/submission"


def post(client, url: str, data: dict):  # noqa: ANN001, ANN201
    response = client.post(url, data=data, headers={"X-OpenRosa-Version": "1.0"}, content_type="multipart/form-data")
    response.close()   # runs the inline processing registered on close
    return response
