"""The per-worker processing thread: the 201 returns before processing; queued versions get processed."""
from __future__ import annotations

from sqlalchemy import select

from server import processor
from server.models import SubmissionVersion
from tests.server.helpers import OR, instance_xml, multipart


def _post(client, world, iid: str):
    return client.post(f"/v1/key/{world.token}/projects/{world.project.id}/submission", headers=OR,
                       data=multipart(instance_xml(iid, photo=None)), content_type="multipart/form-data")


def test_submission_is_handed_to_the_processing_thread(app, client, world, db_session):
    calls: list[int] = []
    started = processor.start(app)
    original = started.enqueue
    started.enqueue = lambda vid: (calls.append(vid), original(vid))  # type: ignore[method-assign]
    try:
        r = _post(client, world, "uuid:0b6f3f4e-1d7c-4a55-9a1e-000000000001")
        assert r.status_code == 201
        r.close()  # the hand-over happens once the response is closed (after the 201 is written)
        assert len(calls) == 1
        assert started.stop(timeout=30)
    finally:
        app.extensions.pop(processor.KEY, None)
    version = db_session.get(SubmissionVersion, calls[0])
    assert version.processing_state == "not_applicable"   # the test form is not a household form
    assert version.processing_log


def test_stop_drains_the_queue_and_failures_stay_recorded(app, client, world, db_session):
    app.config["PROCESS_INLINE"] = False
    for k in range(3):
        assert _post(client, world, f"uuid:0b6f3f4e-1d7c-4a55-9a1e-00000000001{k}").status_code == 201
    db_session.rollback()
    ids = list(db_session.scalars(select(SubmissionVersion.id).where(
        SubmissionVersion.processing_state == "pending")))
    assert len(ids) == 3
    worker = processor.start(app)
    for vid in ids:
        worker.enqueue(vid)
    assert worker.stop(timeout=60)
    db_session.rollback()
    states = {v.processing_state for v in db_session.scalars(select(SubmissionVersion))}
    assert "pending" not in states
    for version in db_session.scalars(select(SubmissionVersion)):
        assert version.processing_attempts == 1 and version.processing_log
