"""Form media and submissions with the blob store on S3 (a real S3-protocol server on loopback): the
manifest's file downloads from the store with its listed hash, streamed in blocks."""
from __future__ import annotations

import hashlib

import pytest

from server.models import FormMedia
from server.publishing import MediaFile, publish
from server.storage import S3BlobStore, get_blobs
from tests.server.helpers import JPEG, form_xml, instance_xml, multipart


@pytest.fixture
def app_config(app_config, s3_settings):
    return {**app_config, **s3_settings}


def test_form_media_and_photo_round_trip_through_s3(app, collect, world, db_session):
    assert isinstance(get_blobs(app), S3BlobStore)
    big = ("name,label\n" + "".join(f"15012110{i:04d},村{i}\n" for i in range(20000))).encode()   # > 64 KB
    from server.models import Project
    publish(db_session, get_blobs(app), db_session.get(Project, world.project.id), form_xml(version="2025020202"),
            media=[MediaFile("villages.csv", big)])
    db_session.commit()
    response = collect.get(f"/v1/projects/{world.project.id}/forms/visit/attachments/villages.csv")
    assert response.status_code == 200 and response.data == big
    assert response.headers["ETag"] == f'"{hashlib.md5(big).hexdigest()}"'
    row = db_session.query(FormMedia).filter_by(sha256=hashlib.sha256(big).hexdigest()).one()
    assert get_blobs(app).size(row.sha256) == len(big)

    url = f"/v1/projects/{world.project.id}/submission"
    assert collect.post(url, data=multipart(instance_xml(), {"photo.jpg": JPEG})).status_code == 201
    assert get_blobs(app).read(hashlib.sha256(JPEG).hexdigest()) == JPEG



def test_object_store_down_answers_an_openrosa_error_and_stores_nothing(app, collect, world, db_session):
    """The PUT fails (nothing listens at the endpoint any more): the phone gets an OpenRosa error it
    will retry, within seconds, never a 201, and no row refers to a blob that is not stored."""
    import time

    from server.models import Submission
    from tests.server.liveserver import free_port

    store = get_blobs(app)
    store.endpoint, store._pid = f"http://127.0.0.1:{free_port()}", -1     # the object store goes away
    started = time.monotonic()
    response = collect.post(f"/v1/projects/{world.project.id}/submission",
                            data=multipart(instance_xml(), {"photo.jpg": JPEG}))
    assert response.status_code >= 500 and time.monotonic() - started < 60
    assert b"<OpenRosaResponse" in response.data
    db_session.rollback()
    assert db_session.query(Submission).count() == 0
