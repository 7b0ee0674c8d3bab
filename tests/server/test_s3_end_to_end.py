"""Attachments on S3 end to end: household submissions with photos through the OpenRosa route are
stored as objects on a real S3-protocol server (never on local disk), then the photo bundle and the
CSV zip with media are exported from them, and every file read back matches the hash of what was sent."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from server.models import Attachment, SubmissionVersion
from server.storage import S3BlobStore, get_blobs
from tests.server.household_submissions import post, setup_project, submission
from tests.server.register.world import api, world  # noqa: F401

HOUSEHOLDS = 4


@pytest.fixture
def app_config(app_config, s3_settings):
    return {**app_config, **s3_settings}


def test_photos_on_s3_are_exported_with_matching_hashes(app, db_session, world, api, cli_runner, tmp_path):  # noqa: F811
    assert isinstance(get_blobs(app), S3BlobStore)
    _, url = setup_project(app, db_session, world.users["collector"])
    client = app.test_client()
    sent: dict[str, bytes] = {}
    for i in range(HOUSEHOLDS):
        data, files = submission(i)          # file names differ per submission, as Collect's do
        assert post(client, url, data).status_code == 201
        sent.update({hashlib.sha256(body).hexdigest(): body for body in files.values()})

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
    household = db_session.scalar(select(Household).where(Household.head_name == "王建1"))
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
