"""Foreign forms (a county's own form, not one of shoudi's household forms): their submissions are
stored, listed, exported and counted like any other; processing records that no register step applies
(`not_applicable`, 无需登记) — never `failed`, never under `--state failed` or `reprocess --all-failed`."""
from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from server.ingest import process_pending
from server.models import SubmissionVersion
from tests.server.helpers import JPEG, instance_xml, multipart

IIDS = [f"uuid:{n:08d}-1111-4111-8111-111111111111" for n in range(3)]


def _submit_all(collect, world) -> None:
    for iid in IIDS:
        r = collect.post(f"/v1/projects/{world.project.id}/submission",
                         data=multipart(instance_xml(iid), {"photo.jpg": JPEG}))
        assert r.status_code == 201


def test_foreign_submissions_settle_as_not_applicable(collect, world, db_session, cli_runner):
    _submit_all(collect, world)          # form "visit" is not a household form; processed inline
    db_session.rollback()
    versions = db_session.scalars(select(SubmissionVersion)).all()
    assert {v.processing_state for v in versions} == {"not_applicable"}
    assert all(v.processing_error is None and v.attachments_present == 1 for v in versions)
    listed = cli_runner("submissions", "list", "--state", "not_applicable")
    assert listed.exit_code == 0 and all(iid in listed.output for iid in IIDS)
    assert "无需登记" in listed.output
    assert cli_runner("submissions", "list", "--state", "failed").output.strip() == ""
    shown = cli_runner("submissions", "show", IIDS[0])
    assert "not_applicable" in shown.output and "no register step applies" in shown.output
    again = cli_runner("reprocess", "--all-failed")
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_reprocessing_a_foreign_submission_settles_again(collect, world, db_session, cli_runner):
    _submit_all(collect, world)
    out = cli_runner("reprocess", IIDS[0])
    assert out.exit_code == 0 and "not_applicable: 1" in out.output


def test_pending_sweep_settles_them(app, collect, world, db_session):
    app.config["PROCESS_INLINE"] = False
    _submit_all(collect, world)
    assert process_pending(app) == {"not_applicable": 3}
    assert process_pending(app) == {}


def test_foreign_submissions_are_exported(collect, world, db_session, cli_runner, tmp_path, app):
    _submit_all(collect, world)
    out = tmp_path / "visit.zip"
    result = cli_runner("export", "csv", "--form", "visit", "--workers", "1", "--region", "150121000000", "--out", str(out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as z:
        text = z.read("visit.csv").decode("utf-8-sig")
        assert all(iid in text for iid in IIDS) and "张三" in text
        photos = [n for n in z.namelist() if n.startswith("media/") and n.endswith("/photo.jpg")]
        assert len(photos) == len(IIDS)          # media/<instance>/photo.jpg: one per submission, none dropped
