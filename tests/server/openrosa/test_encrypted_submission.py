"""Encrypted submissions (ODK encryption, as Collect sends them): every part the outer XML names is kept
durably before the 201, split uploads complete them, a last POST still missing a named part is refused
(and what arrived is kept), and processing settles them as waiting for decryption, never `failed`."""
from __future__ import annotations

import io
import os

from sqlalchemy import select

from server.models import Attachment, SubmissionVersion
from server.storage import get_blobs
from tests.server.helpers import instance_xml, multipart

IID = "uuid:e0e0e0e0-1111-4111-8111-111111111111"


def outer_xml(instance_id: str | None = IID, *, form_id: str = "visit", version: str = "2024010101",
              media: tuple[str, ...] = ("pic.jpg.enc",)) -> bytes:
    """The submission.xml Collect posts for an encrypted instance (EncryptionUtils: element names and
    namespace as the ODK encryption spec gives them)."""
    files = "".join(f"<file>{m}</file>" for m in media)
    meta = f'<orx:meta xmlns:orx="http://openrosa.org/xforms"><orx:instanceID>{instance_id}</orx:instanceID></orx:meta>' \
        if instance_id else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>'
            f'<data xmlns="http://www.opendatakit.org/xforms/encrypted" id="{form_id}" version="{version}" '
            f'encrypted="yes"><base64EncryptedKey>AAAA</base64EncryptedKey>{meta}'
            f'<media>{files}</media><encryptedXmlFile>submission.xml.enc</encryptedXmlFile>'
            f'<base64EncryptedElementSignature>BBBB</base64EncryptedElementSignature></data>').encode()


def parts(xml: bytes, files: dict[str, bytes], *, incomplete: bool = False) -> dict:
    data = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}
    for name, content in files.items():
        data[name] = (io.BytesIO(content), name, "application/octet-stream")
    if incomplete:
        data["*isIncomplete*"] = "yes"
    return data


ENC_XML = os.urandom(300)
ENC_PIC = os.urandom(5000)


def _version(db_session, iid=IID) -> SubmissionVersion:
    db_session.rollback()
    return db_session.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == iid)).one()


def test_every_named_part_is_kept_before_the_201(collect, world, db_session, app):
    r = collect.post(f"/v1/projects/{world.project.id}/submission",
                     data=parts(outer_xml(), {"submission.xml.enc": ENC_XML, "pic.jpg.enc": ENC_PIC}))
    assert r.status_code == 201, r.get_data(as_text=True)
    v = _version(db_session)
    assert (v.attachments_present, v.attachments_expected) == (2, 2)
    stored = {a.name: get_blobs(app).read(a.sha256) for a in v.attachments}
    assert stored == {"submission.xml.enc": ENC_XML, "pic.jpg.enc": ENC_PIC}
    assert v.processing_state == "encrypted" and v.processing_error is None


def test_token_url_keeps_the_parts_too(client, world, db_session, app):
    """The token URL (on PostgreSQL the express lane) names the same parts."""
    from tests.server.helpers import OR
    for _ in range(2):   # the second instance takes the express lane once the route is known
        iid = f"uuid:{os.urandom(4).hex()}-1111-4111-8111-111111111111"
        r = client.post(f"/v1/key/{world.token}/projects/{world.project.id}/submission", headers=OR,
                        data=parts(outer_xml(iid), {"submission.xml.enc": ENC_XML, "pic.jpg.enc": ENC_PIC}),
                        content_type="multipart/form-data")
        assert r.status_code == 201, r.get_data(as_text=True)
        v = _version(db_session, iid)
        assert sorted(a.name for a in v.attachments if a.sha256) == ["pic.jpg.enc", "submission.xml.enc"]


def test_split_upload_completes_the_parts(collect, world, db_session, app):
    url = f"/v1/projects/{world.project.id}/submission"
    r = collect.post(url, data=parts(outer_xml(), {"pic.jpg.enc": ENC_PIC}, incomplete=True))
    assert r.status_code == 201
    assert _version(db_session).attachments_present == 1
    r = collect.post(url, data=parts(outer_xml(), {"submission.xml.enc": ENC_XML}))
    assert r.status_code == 201
    v = _version(db_session)
    assert (v.attachments_present, v.attachments_expected) == (2, 2)
    assert {a.name: get_blobs(app).read(a.sha256) for a in v.attachments} == {
        "submission.xml.enc": ENC_XML, "pic.jpg.enc": ENC_PIC}


def test_last_post_missing_a_named_part_is_refused_and_keeps_what_arrived(collect, world, db_session, app):
    url = f"/v1/projects/{world.project.id}/submission"
    r = collect.post(url, data=parts(outer_xml(), {"pic.jpg.enc": ENC_PIC}))   # no *isIncomplete*: the last
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "OpenRosaResponse" in body and "submission.xml.enc" in body and 'nature="error"' in body
    assert r.headers["Content-Type"].startswith("text/xml")
    v = _version(db_session)          # what arrived is on disk and in the database
    pic = next(a for a in v.attachments if a.name == "pic.jpg.enc")
    assert get_blobs(app).read(pic.sha256) == ENC_PIC and v.attachments_present == 1
    # Collect keeps the instance and sends it again, whole: 201
    r = collect.post(url, data=parts(outer_xml(), {"submission.xml.enc": ENC_XML, "pic.jpg.enc": ENC_PIC}))
    assert r.status_code == 201
    assert _version(db_session).attachments_present == 2


def test_encrypted_without_instance_id_is_400(collect, world, db_session):
    r = collect.post(f"/v1/projects/{world.project.id}/submission",
                     data=parts(outer_xml(None), {"submission.xml.enc": ENC_XML, "pic.jpg.enc": ENC_PIC}))
    assert r.status_code == 400 and "instanceID" in r.get_data(as_text=True)
    db_session.rollback()
    assert db_session.scalars(select(SubmissionVersion)).first() is None


def test_parts_not_named_are_still_dropped(collect, world, db_session):
    r = collect.post(f"/v1/projects/{world.project.id}/submission",
                     data=parts(outer_xml(media=()), {"submission.xml.enc": ENC_XML, "other.bin": b"x"}))
    assert r.status_code == 201
    assert [a.name for a in _version(db_session).attachments] == ["submission.xml.enc"]


def test_encrypted_waits_never_failed_and_not_retried_as_failed(collect, world, db_session, app, cli_runner):
    collect.post(f"/v1/projects/{world.project.id}/submission",
                 data=parts(outer_xml(), {"submission.xml.enc": ENC_XML, "pic.jpg.enc": ENC_PIC}))
    assert _version(db_session).processing_state == "encrypted"
    out = cli_runner("submissions", "list", "--state", "encrypted")
    assert out.exit_code == 0 and IID in out.output and "待解密" in out.output
    assert IID not in cli_runner("submissions", "list", "--state", "failed").output
    out = cli_runner("reprocess", "--all-failed")
    assert out.exit_code == 0 and "nothing to do" in out.output
    assert _version(db_session).processing_state == "encrypted"


def test_plain_submission_unchanged(collect, world, db_session):
    """A plain instance to the same form still keeps only its binary fields' files."""
    from tests.server.helpers import JPEG
    r = collect.post(f"/v1/projects/{world.project.id}/submission",
                     data=multipart(instance_xml(IID), {"photo.jpg": JPEG, "pic.jpg.enc": ENC_PIC}))
    assert r.status_code == 201
    names = [a.name for a in db_session.scalars(select(Attachment)).all()]
    assert names == ["photo.jpg"]


def test_export_ships_the_encrypted_parts_with_a_manifest(collect, world, db_session, cli_runner, tmp_path):
    import csv
    import hashlib
    import zipfile
    collect.post(f"/v1/projects/{world.project.id}/submission",
                 data=parts(outer_xml(), {"submission.xml.enc": ENC_XML, "pic.jpg.enc": ENC_PIC}))
    out = tmp_path / "visit.zip"
    result = cli_runner("export", "csv", "--form", "visit", "--workers", "1", "--no-media",
                        "--region", "150121000000", "--out", str(out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("visit.csv").decode("utf-8-sig"))))
        assert [(r["KEY"], r["Status"], r["AttachmentsPresent"]) for r in rows] == [(IID, "not decrypted", "2")]
        folder = "encrypted/uuid_e0e0e0e0-1111-4111-8111-111111111111"
        assert z.read(f"{folder}/submission.xml.enc") == ENC_XML and z.read(f"{folder}/pic.jpg.enc") == ENC_PIC
        assert b"base64EncryptedKey" in z.read(f"{folder}/submission.xml")
        manifest = list(csv.DictReader(io.StringIO(z.read("encrypted/manifest.csv").decode())))
        assert {m["file"]: m["sha256"] for m in manifest} == {
            f"{folder}/{name}": hashlib.sha256(z.read(f"{folder}/{name}")).hexdigest()
            for name in ("submission.xml", "pic.jpg.enc", "submission.xml.enc")}
