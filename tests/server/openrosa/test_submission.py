"""Submission outcomes (shared/openrosa.md §3.1–§3.5) and durability of what is acknowledged."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from server.models import Attachment, Form, Submission, SubmissionVersion
from server.storage import get_blobs
from tests.server.helpers import JPEG, OR, instance_xml, multipart

IID = "uuid:11111111-1111-4111-8111-111111111111"


def url(world) -> str:
    return f"/v1/projects/{world.project.id}/submission"


def versions(db_session):
    db_session.rollback()  # end the read snapshot: see what requests committed since
    return list(db_session.scalars(select(SubmissionVersion).order_by(SubmissionVersion.id)))


def test_preflight_head_and_get(collect, world, app):
    for method in ("head", "get"):
        r = getattr(collect, method)(url(world))
        assert r.status_code == 204
        assert r.headers["X-OpenRosa-Accept-Content-Length"] == str(app.config["MAX_BODY_BYTES"])
        assert r.headers["X-OpenRosa-Version"] == "1.0"
        assert "Content-Type" not in r.headers and r.data == b""


def test_new_submission_201_stores_xml_and_photo(collect, world, db_session, app):
    r = collect.post(url(world), data=multipart(instance_xml(), {"photo.jpg": JPEG}))
    assert r.status_code == 201, r.data
    assert b'<message nature="">full submission upload was successful!</message>' in r.data
    [v] = versions(db_session)
    assert v.instance_id == IID and v.submission.instance_id == IID
    blobs = get_blobs(app)
    assert v.xml == instance_xml() and v.xml_size == len(instance_xml())  # the XML is in its row
    assert not blobs.exists(v.xml_sha256)  # not a second copy in the blob store
    [att] = v.attachments
    assert (att.name, att.sha256, att.size) == ("photo.jpg", hashlib.sha256(JPEG).hexdigest(), len(JPEG))
    assert blobs.read(att.sha256) == JPEG
    assert (v.attachments_expected, v.attachments_present) == (1, 1)
    assert v.submitter_id is not None and v.device_id is None


def test_identical_resubmission_adds_missing_attachments(collect, world, db_session):
    assert collect.post(url(world), data=multipart(instance_xml())).status_code == 201
    [v] = versions(db_session)
    assert (v.attachments_expected, v.attachments_present) == (1, 0)
    assert collect.post(url(world), data=multipart(instance_xml(), {"photo.jpg": JPEG})).status_code == 201
    [v] = versions(db_session)
    assert v.attachments_present == 1
    assert db_session.scalar(select(Submission.id).where(Submission.instance_id == IID)) is not None
    assert len(list(db_session.scalars(select(Submission)))) == 1


def test_identical_resubmission_replaces_a_differing_file(collect, world, db_session):
    collect.post(url(world), data=multipart(instance_xml(), {"photo.jpg": JPEG}))
    other = JPEG + b"x"
    assert collect.post(url(world), data=multipart(instance_xml(), {"photo.jpg": other})).status_code == 201
    [v] = versions(db_session)
    assert v.attachments[0].sha256 == hashlib.sha256(other).hexdigest()


def test_different_xml_same_instance_id_is_409(collect, world):
    assert collect.post(url(world), data=multipart(instance_xml())).status_code == 201
    r = collect.post(url(world), data=multipart(instance_xml(name="李四")))
    assert r.status_code == 409
    assert b"different XML" in r.data and b'nature="error"' in r.data


def test_unknown_form_is_404(collect, world):
    r = collect.post(url(world), data=multipart(instance_xml(form_id="nope")))
    assert r.status_code == 404 and b"OpenRosaResponse" in r.data


def test_form_of_another_project_is_404(collect, world):
    assert collect.post(url(world), data=multipart(instance_xml(form_id="other_visit"))).status_code == 404


def test_unknown_version_is_404_older_published_version_accepted(collect, world, db_session, app):
    from server.models import Project
    from server.publishing import publish
    from tests.server.helpers import form_xml
    r = collect.post(url(world), data=multipart(instance_xml(version="1999")))
    assert r.status_code == 404 and b"'1999' does not exist" in r.data
    publish(db_session, get_blobs(app), db_session.get(Project, world.project.id), form_xml(version="2025020202"))
    db_session.commit()
    assert collect.post(url(world), data=multipart(instance_xml())).status_code == 201
    iid2 = "uuid:22222222-2222-4222-8222-222222222222"
    assert collect.post(url(world), data=multipart(instance_xml(iid2, version="2025020202"))).status_code == 201
    vs = versions(db_session)
    assert vs[0].form_version_id != vs[1].form_version_id


def test_closed_form_409_closing_form_accepted(collect, world, db_session):
    form = db_session.scalars(select(Form).where(Form.xml_form_id == "visit")).one()
    form.state = "closing"
    db_session.commit()
    assert collect.post(url(world), data=multipart(instance_xml())).status_code == 201
    form.state = "closed"
    db_session.commit()
    r = collect.post(url(world), data=multipart(instance_xml("uuid:other")))
    assert r.status_code == 409 and b"not currently accepting" in r.data


def test_missing_xml_part_is_400(collect, world):
    r = collect.post(url(world), data={"photo.jpg": multipart(None, {"photo.jpg": JPEG})["photo.jpg"]})
    assert r.status_code == 400 and b"xml_submission_file missing" in r.data


def test_unparseable_xml_is_400(collect, world):
    r = collect.post(url(world), data=multipart(b"<data id='visit'><unclosed></data>"))
    assert r.status_code == 400 and b"form ID xml attribute missing" in r.data
    r = collect.post(url(world), data=multipart(b"<data><meta/></data>"))
    assert r.status_code == 400


def test_no_instance_id_server_makes_one(collect, world, db_session):
    assert collect.post(url(world), data=multipart(instance_xml(None))).status_code == 201
    [v] = versions(db_session)
    assert v.instance_id.startswith("uuid:") and len(v.instance_id) == 41


def test_split_upload_accumulates_attachments(collect, world, db_session):
    xml = instance_xml(member_photos=("m0.jpg", "m1.jpg"))
    assert collect.post(url(world), data=multipart(xml, {"photo.jpg": JPEG}, incomplete=True)).status_code == 201
    [v] = versions(db_session)
    assert (v.attachments_expected, v.attachments_present) == (3, 1)
    assert collect.post(url(world), data=multipart(xml, {"m0.jpg": JPEG + b"0"}, incomplete=True)).status_code == 201
    assert collect.post(url(world), data=multipart(xml, {"m1.jpg": JPEG + b"1"})).status_code == 201
    [v] = versions(db_session)
    assert (v.attachments_expected, v.attachments_present) == (3, 3)
    assert sorted(a.name for a in v.attachments) == ["m0.jpg", "m1.jpg", "photo.jpg"]


def test_unreferenced_parts_are_dropped(collect, world, db_session):
    assert collect.post(url(world), data=multipart(instance_xml(), {"photo.jpg": JPEG, "extra.jpg": JPEG})).status_code == 201
    [v] = versions(db_session)
    assert [a.name for a in v.attachments] == ["photo.jpg"]


def test_attachment_names_are_sanitised(collect, world, db_session, app):
    xml = instance_xml(photo="../../etc/passwd.jpg")
    r = collect.post(url(world), data=multipart(xml, {"../../etc/passwd.jpg": JPEG}))
    assert r.status_code == 201
    [v] = versions(db_session)
    [att] = v.attachments
    assert att.name == "passwd.jpg" and att.sha256 is not None
    assert get_blobs(app).path(att.sha256).is_relative_to(get_blobs(app).root)


def test_edit_keeps_every_version_and_the_first_instance_id(collect, world, db_session):
    assert collect.post(url(world), data=multipart(instance_xml(), {"photo.jpg": JPEG})).status_code == 201
    iid2 = "uuid:22222222-2222-4222-8222-222222222222"
    edit = instance_xml(iid2, name="张三（改）", deprecated_id=IID)
    assert collect.post(url(world), data=multipart(edit)).status_code == 201
    v1, v2 = versions(db_session)
    assert v2.submission_id == v1.submission_id
    assert v2.submission.instance_id == IID and v2.submission.current_version_id == v2.id
    assert v2.submission.review_state == "edited"
    assert v2.attachments[0].sha256 == v1.attachments[0].sha256  # carried over by name
    # editing the out-of-date copy again → 409; unknown deprecatedID → 404
    again = instance_xml("uuid:33333333-3333-4333-8333-333333333333", deprecated_id=IID)
    assert collect.post(url(world), data=multipart(again)).status_code == 409
    unknown = instance_xml("uuid:44444444-4444-4444-8444-444444444444", deprecated_id="uuid:nope")
    assert collect.post(url(world), data=multipart(unknown)).status_code == 404
    # re-posting the current edit to add files is allowed
    assert collect.post(url(world), data=multipart(edit, {"photo.jpg": JPEG + b"new"})).status_code == 201


def test_outsider_may_not_submit(client, world):
    from tests.server.conftest import PASSWORD
    from tests.server.helpers import DigestClient
    outsider = DigestClient(client, world.outsider, PASSWORD)
    r = outsider.post(url(world), data=multipart(instance_xml()))
    assert r.status_code == 401 and b"may not submit" in r.data


def test_token_submission(client, world, db_session):
    r = client.post(f"/v1/key/{world.token}/projects/{world.project.id}/submission?deviceID=collect:abc",
                    data=multipart(instance_xml(), {"photo.jpg": JPEG}), headers=dict(OR, **{"User-Agent": "org.odk.collect.android/v2024.2"}),
                    content_type="multipart/form-data")
    assert r.status_code == 201
    [v] = versions(db_session)
    assert v.app_token_id is not None and v.device_id == "collect:abc"
    assert v.user_agent.startswith("org.odk.collect.android")
    assert client.post(f"/v1/key/{world.token}/projects/{world.other_project.id}/submission",
                       data=multipart(instance_xml()), headers=OR,
                       content_type="multipart/form-data").status_code == 403


def test_submission_without_credentials_is_401_with_challenge(client, world):
    r = client.post(url(world), data=multipart(instance_xml()), headers=OR, content_type="multipart/form-data")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Digest")
