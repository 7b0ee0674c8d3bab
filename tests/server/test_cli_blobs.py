"""`shoudi blobs migrate --to s3://…` (resumable, verified by hash) and `shoudi blobs verify`."""
from __future__ import annotations

import hashlib
import os

from server.storage import get_blobs, open_store
from tests.server.helpers import JPEG, instance_xml, multipart


def _target(s3_settings, tmp_path):
    return open_store(s3_settings["BLOB_STORE"], data_dir=tmp_path, endpoint=s3_settings["S3_ENDPOINT"],
                      region=s3_settings["S3_REGION"])


def test_migrate_to_s3_is_verified_and_resumable(app, cli_runner, s3_settings, tmp_path):
    local = get_blobs(app)
    blobs = {local.put_bytes(os.urandom(1000 + i * 5000)).sha256 for i in range(12)}
    target = _target(s3_settings, tmp_path)
    already = sorted(blobs)[:5]                      # an earlier, interrupted run copied these
    for sha in already:
        target.put_bytes(local.read(sha))
    corrupt = hashlib.sha256(b"what it should be").hexdigest()
    (local.root / corrupt[:2] / corrupt).write_bytes(b"bit rot")

    args = ("blobs", "migrate", "--to", s3_settings["BLOB_STORE"], "--endpoint", s3_settings["S3_ENDPOINT"],
            "--region", s3_settings["S3_REGION"], "--jobs", "3")
    first = cli_runner(*args)
    assert first.exit_code != 0
    assert "copied 7, already there 5, failed 1" in first.output
    assert corrupt in first.output and not target.exists(corrupt)   # never stored under a wrong key
    assert all(target.hash_of(sha) == sha for sha in blobs)

    (local.root / corrupt[:2] / corrupt).unlink()
    again = cli_runner(*args)
    assert again.exit_code == 0, again.output
    assert "copied 0, already there 12, failed 0" in again.output
    assert dict(target.iter_blobs()) == dict(local.iter_blobs())


def test_migrate_refuses_the_same_store(app, cli_runner):
    result = cli_runner("blobs", "migrate", "--to", get_blobs(app).url)
    assert result.exit_code != 0 and "same store" in result.output


def test_verify_finds_a_missing_attachment(app, collect, world, cli_runner):
    url = f"/v1/projects/{world.project.id}/submission"
    assert collect.post(url, data=multipart(instance_xml(), {"photo.jpg": JPEG})).status_code == 201
    ok = cli_runner("blobs", "verify", "--hash")
    assert ok.exit_code == 0, ok.output
    assert "0 missing, 0 with another hash" in ok.output
    sha = hashlib.sha256(JPEG).hexdigest()
    get_blobs(app).path(sha).unlink()
    bad = cli_runner("blobs", "verify")
    assert bad.exit_code != 0 and f"missing {sha}" in bad.output
