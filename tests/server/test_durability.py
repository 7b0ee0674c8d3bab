"""Nothing acknowledged is ever lost: kill -9 the server under load, then check every 201.

Every acknowledged instanceID must have its row, its XML blob and its photo blob with the exact
bytes sent; every row present (acknowledged or not) must be complete — no half-written records.
"""
from __future__ import annotations

import hashlib
import threading
import time
import uuid

import pytest
import requests
from requests.auth import HTTPDigestAuth
from sqlalchemy import select

from server.models import Attachment, SubmissionVersion
from tests.server.helpers import JPEG, instance_xml
from tests.server.liveserver import LiveServer, shoudi

pytestmark = pytest.mark.slow
OR = {"X-OpenRosa-Version": "1.0"}


@pytest.fixture
def live_env(app, world, tmp_path):
    """The `world` fixture's database and data dir, served by a real process with fsync on."""
    env = {"SHOUDI_DATABASE_URL": app.config["DATABASE_URL"], "SHOUDI_FSYNC": "1",
           "SHOUDI_SECRET_KEY": app.config["SECRET_KEY"]}
    return env, app.config["DATA_DIR"]


def _load(url: str, acknowledged: list, stop: threading.Event) -> None:
    session = requests.Session()
    session.auth = HTTPDigestAuth("cadre1", "correct-horse-9")
    while not stop.is_set():
        iid = f"uuid:{uuid.uuid4()}"
        photo = JPEG + uuid.uuid4().bytes
        xml = instance_xml(iid)
        try:
            r = session.post(url, headers=OR, timeout=10, files=[
                ("xml_submission_file", ("s.xml", xml, "text/xml")), ("photo.jpg", ("photo.jpg", photo, "image/jpeg"))])
        except requests.RequestException:
            continue  # not acknowledged: the server died mid-request
        if r.status_code == 201:
            acknowledged.append((iid, hashlib.sha256(xml).hexdigest(), hashlib.sha256(photo).hexdigest()))


def test_kill_9_under_load_loses_no_acknowledged_submission(live_env, world, db_session, app):
    env, data = live_env
    server = LiveServer(env, data, workers=2, threads=4).start()
    acknowledged: list = []
    stop = threading.Event()
    url = f"{server.url}/v1/projects/{world.project.id}/submission"
    threads = [threading.Thread(target=_load, args=(url, acknowledged, stop)) for _ in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()  # SIGKILL arbiter and workers while requests are in flight
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 40, "the load never got going"

    from server.storage import get_blobs
    blobs = get_blobs(app)
    db_session.rollback()
    rows = {v.instance_id: v for v in db_session.scalars(select(SubmissionVersion))}
    for iid, xml_sha, photo_sha in acknowledged:
        version = rows.get(iid)
        assert version is not None, f"acknowledged {iid} is missing"
        assert version.xml_sha256 == xml_sha
        [att] = version.attachments
        assert att.sha256 == photo_sha
    for version in rows.values():  # acknowledged or not: complete or absent
        assert hashlib.sha256(version.xml).hexdigest() == version.xml_sha256  # committed with its row
        for att in db_session.scalars(select(Attachment).where(Attachment.version_id == version.id)):
            if att.sha256:
                assert hashlib.sha256(blobs.read(att.sha256)).hexdigest() == att.sha256

    # after the crash, versions whose processing never ran are picked up by `reprocess --pending`
    shoudi(env, "reprocess", "--pending", "--data-dir", str(data), check=False)
    db_session.rollback()
    assert db_session.scalars(select(SubmissionVersion).where(
        SubmissionVersion.processing_state == "pending")).first() is None

    # and the restarted server still answers identical resubmissions of acknowledged ones with 201
    with LiveServer(env, data) as again:
        iid, _, _ = acknowledged[0]
        s = requests.Session()
        s.auth = HTTPDigestAuth("cadre1", "correct-horse-9")
        r = s.post(f"{again.url}/v1/projects/{world.project.id}/submission", headers=OR, timeout=10,
                   files=[("xml_submission_file", ("s.xml", instance_xml(iid), "text/xml"))])
        assert r.status_code == 201
