"""Two `shoudi serve` nodes, each with its own data directory, sharing one PostgreSQL database and one
S3 store (moto's server on loopback): a few hundred household submissions with photos alternate
between them, one node is killed (SIGKILL) mid-load and what it did not answer goes to the other, as a
load balancer does. Then every acknowledged submission is stored once, processed once and exported
once, and every photo is on S3 with the hash of what was sent.

PostgreSQL only: nodes cannot share a SQLite file across data directories (tests/run_all.sh runs the
suite on PostgreSQL too)."""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
import os
import threading
import time
import zipfile

import pytest
import requests
from sqlalchemy import func, select

from server.models import Attachment, Submission, SubmissionVersion
from server.register.models import AuditEntry, Household, HouseholdVersion
from server.storage import open_store
from tests.server.household_submissions import instance, setup_project
from tests.server.liveserver import LiveServer, shoudi
from tests.server.register.world import PASSWORD, world  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    os.environ.get("SHOUDI_TEST_DATABASE", "sqlite") != "postgresql",
    reason="several nodes share a PostgreSQL database (runs in tests/run_all.sh's PostgreSQL pass)")]
SUBMISSIONS = 240
KILL_AFTER = 80
OR = {"X-OpenRosa-Version": "1.0"}


def _send(urls: list[str], i: int, body: tuple[bytes, dict[str, bytes]], dead: set[str]) -> str:
    """POST submission i to its node; on a dead node, an error or a 5xx, to the other (the load
    balancer's retry). Returns the instanceID acknowledged."""
    xml, files = body
    parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    parts += [(name, (name, content, "image/jpeg")) for name, content in files.items()]
    order = urls[i % 2:] + urls[:i % 2]
    for attempt in itertools.count():
        url = order[attempt % 2]
        if url in dead and attempt < 50:
            continue
        try:
            response = requests.post(url, files=parts, headers=OR, timeout=60)
            if response.status_code == 201:
                return xml.split(b"<instanceID>", 1)[1].split(b"<", 1)[0].decode()
            assert response.status_code >= 500, response.text
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise AssertionError("unreachable")


def test_two_nodes_one_killed_every_submission_once(app, db_session, world, s3_settings, tmp_path):  # noqa: F811
    _, path = setup_project(app, db_session, world.users["collector"])
    env = {"SHOUDI_DATABASE_URL": app.config["DATABASE_URL"], "SHOUDI_FSYNC": "1", "SHOUDI_SECRET_KEY": "",
           "SHOUDI_DRAIN_HELPERS": "0", **{f"SHOUDI_{k}": v for k, v in s3_settings.items()},
           "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
           "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"]}
    nodes = [LiveServer(env, tmp_path / f"node-{n}", workers=1, threads=4).start() for n in "ab"]
    try:
        urls = [node.url + path for node in nodes]
        bodies = []
        for i in range(SUBMISSIONS):
            files = {f"auth-{i}.jpg": os.urandom(100_000), f"sig-{i}.png": os.urandom(10_000)}
            bodies.append((instance(i), files))
        sent = {hashlib.sha256(b).hexdigest(): b for _, files in bodies for b in files.values()}
        acknowledged: list[str] = []
        dead: set[str] = set()
        lock = threading.Lock()
        counter = itertools.count()

        def worker() -> None:
            while (i := next(counter)) < SUBMISSIONS:
                iid = _send(urls, i, bodies[i], dead)
                with lock:
                    acknowledged.append(iid)

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for t in threads:
            t.start()
        while len(acknowledged) < KILL_AFTER:
            time.sleep(0.02)
        nodes[1].kill()                          # node b dies with requests and processing in flight
        dead.add(urls[1])
        for t in threads:
            t.join(timeout=600)
        assert len(acknowledged) == SUBMISSIONS and len(set(acknowledged)) == SUBMISSIONS

        deadline = time.monotonic() + 300        # node a's processors take over what b had claimed
        while True:
            db_session.rollback()
            pending = db_session.scalar(select(func.count()).select_from(SubmissionVersion)
                                        .where(SubmissionVersion.processing_state != "done"))
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert pending == 0

        # stored once
        rows = db_session.execute(select(Submission.instance_id, func.count(SubmissionVersion.id))
                                  .join(SubmissionVersion, SubmissionVersion.submission_id == Submission.id)
                                  .group_by(Submission.instance_id)).all()
        assert sorted(r[0] for r in rows) == sorted(acknowledged) and {r[1] for r in rows} == {1}
        shas = list(db_session.scalars(select(Attachment.sha256)))
        assert sorted(shas) == sorted(sent)
        store = open_store(s3_settings["BLOB_STORE"], data_dir=tmp_path, endpoint=s3_settings["S3_ENDPOINT"],
                           region=s3_settings["S3_REGION"])
        on_s3 = dict(store.iter_blobs())
        assert all(on_s3.get(sha) == len(body) for sha, body in sent.items())
        for sha in list(sent)[:20]:
            assert store.hash_of(sha) == sha
        for node in "ab":                        # nothing went to a node's local disk
            local = tmp_path / f"node-{node}" / "blobs"
            assert not any(p.is_file() for p in local.rglob("*")) if local.exists() else True

        # processed once: one household and one household version per submission, audited once
        assert db_session.scalar(select(func.count()).select_from(Household)) == SUBMISSIONS
        per_version = db_session.execute(select(HouseholdVersion.submission_version_id, func.count())
                                         .group_by(HouseholdVersion.submission_version_id)).all()
        assert len(per_version) == SUBMISSIONS and {n for _, n in per_version} == {1}
        assert db_session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "household.create")) == SUBMISSIONS
        db_session.rollback()

        # exported once: the CSV zip has each acknowledged submission once, with its photos
        out = tmp_path / "hs.zip"
        result = shoudi({**env, "SHOUDI_SECRET_KEY": ""}, "export", "csv", "--region", "150121000000",
                        "--form", "household_survey", "-o", str(out), "--data-dir", str(tmp_path / "node-a"))
        bundle = zipfile.ZipFile(out)
        keys = [r["KEY"] for r in csv.DictReader(io.StringIO(bundle.read("household_survey.csv").decode("utf-8-sig")))]
        assert sorted(keys) == sorted(acknowledged)
        media = [n for n in bundle.namelist() if n.startswith("media/")]
        assert sorted(hashlib.sha256(bundle.read(n)).hexdigest() for n in media) == sorted(sent)

        # node b comes back (same data dir, new port); a photo bundle asked of node a (API session opened
        # there) runs as a job on whichever node's worker claims it — once — and downloads from node b
        # with the same session: shared key and store
        nodes[1] = LiveServer(env, tmp_path / "node-b", workers=1, threads=4).start()
        api = [node.url + "/api/v1" for node in nodes]
        login = requests.post(api[0] + "/session", json={"username": "county", "password": PASSWORD}, timeout=30)
        bearer = {"Authorization": "Bearer " + login.json()["token"]}
        batch = requests.post(api[0] + "/exports", headers=bearer, timeout=30,
                              json={"kind": "photos", "spec": "all", "region_code": "150121000000"}).json()
        deadline = time.monotonic() + 300
        while (state := requests.get(f"{api[0]}/exports/{batch['id']}", headers=bearer, timeout=30).json())["state"] \
                not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert state["state"] == "done" and state["households"] == SUBMISSIONS, state
        download = requests.get(f"{api[1]}/exports/{batch['id']}/file", headers=bearer, timeout=60)
        assert download.status_code == 200
        photos = zipfile.ZipFile(io.BytesIO(download.content))
        assert sorted(hashlib.sha256(photos.read(n)).hexdigest() for n in photos.namelist()
                      if not n.endswith(".xlsx")) == sorted(sent)
        from server.jobs import Job
        db_session.rollback()
        assert [j.attempts for j in db_session.scalars(select(Job))] == [1]

        # a token revoked through another process is refused at once by the surviving node, which has
        # it in its express lane's memory (the lane's INSERT checks the token itself)
        from server.models import AppToken
        token_id = db_session.scalar(select(AppToken.id))
        db_session.rollback()
        shoudi(env, "tokens", "revoke", str(token_id), "--data-dir", str(tmp_path / "node-b"))
        xml, files = instance(SUBMISSIONS), {}
        refused = requests.post(urls[0], headers=OR, timeout=30,
                                files=[("xml_submission_file", ("submission.xml", xml, "text/xml"))])
        assert refused.status_code == 403, refused.text
    finally:
        for node in nodes:
            node.stop()
