"""Processing after the 201: ordered steps, one transaction, failures recorded and retryable."""
from __future__ import annotations

from sqlalchemy import select

from server import components
from server.ingest import ProcessingError, process_pending, process_version
from server.models import Region, SubmissionVersion
from tests.server.helpers import JPEG, instance_xml, multipart

CALLS: list[str] = []


def ok_step(ctx) -> None:  # noqa: ANN001
    CALLS.append(f"ok:{ctx.version.instance_id}")
    ctx.record = {"form_id": ctx.form.xml_form_id, "instance_id": ctx.version.instance_id,
                  "xml_bytes": len(ctx.xml)}


def writing_step(ctx) -> None:  # noqa: ANN001
    ctx.session.add(Region(code="150121100299", parent_code="150121100000", level="village", name="临时村",
                           vintage=2023))
    ctx.session.flush()


def failing_step(ctx) -> None:  # noqa: ANN001
    raise ProcessingError("scoring rule R7 crashed")


def _submit(collect, world, iid="uuid:aaaaaaaa-1111-4111-8111-111111111111") -> int:
    r = collect.post(f"/v1/projects/{world.project.id}/submission", data=multipart(instance_xml(iid), {"photo.jpg": JPEG}))
    assert r.status_code == 201
    return iid


def _version(db_session, iid):
    db_session.rollback()
    return db_session.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == iid)).one()


def test_processing_failure_never_affects_the_201(app, collect, world, db_session, monkeypatch):
    monkeypatch.setattr(components, "PROCESSING_STEPS", ("tests.server.test_ingest:failing_step",))
    iid = _submit(collect, world)
    v = _version(db_session, iid)
    assert v.processing_state == "failed" and v.processing_attempts == 1
    assert v.processing_error.startswith("tests.server.test_ingest.failing_step: ")
    assert "R7" in v.processing_error
    assert v.processing_log[-1]["status"] == "failed"
    assert v.attachments_present == 1  # the submission itself is intact


def test_steps_run_in_order_and_record_is_stored(app, collect, world, db_session, monkeypatch):
    app.config["PROCESS_INLINE"] = False
    iid = _submit(collect, world)
    assert _version(db_session, iid).processing_state == "pending"
    state = process_version(app, _version(db_session, iid).id, steps=[ok_step, writing_step])
    assert state == "done"
    v = _version(db_session, iid)
    assert v.record["instance_id"] == iid and v.record["xml_bytes"] > 0
    assert [e["step"] for e in v.processing_log] == ["tests.server.test_ingest.ok_step",
                                                     "tests.server.test_ingest.writing_step"]
    assert db_session.get(Region, "150121100299") is not None
    # done versions are skipped unless forced
    CALLS.clear()
    assert process_version(app, v.id, steps=[ok_step]) == "done" and CALLS == []
    assert process_version(app, v.id, steps=[ok_step], force=True) == "done" and CALLS == [f"ok:{iid}"]


def test_versions_stored_before_0008_read_their_xml_from_the_blob_store(app, collect, world, db_session):
    """Before migration 0008 the XML was a blob and the row's `xml` is NULL: processing still reads it."""
    from server.storage import get_blobs
    app.config["PROCESS_INLINE"] = False
    iid = _submit(collect, world)
    v = _version(db_session, iid)
    xml = v.xml
    get_blobs(app).put_bytes(xml)
    v.xml = None
    db_session.commit()
    db_session.expire_all()  # the test sessions keep objects loaded across commits
    assert get_blobs(app).read(v.xml_sha256) == xml and v.xml is None
    CALLS.clear()
    assert process_version(app, v.id, steps=[ok_step]) == "done"
    assert _version(db_session, iid).record["xml_bytes"] == len(xml)


def test_failed_run_rolls_back_every_step(app, collect, world, db_session):
    app.config["PROCESS_INLINE"] = False
    iid = _submit(collect, world)
    vid = _version(db_session, iid).id
    assert process_version(app, vid, steps=[writing_step, failing_step]) == "failed"
    db_session.rollback()
    assert db_session.get(Region, "150121100299") is None
    assert _version(db_session, iid).processing_state == "failed"


def test_pending_versions_are_picked_up(app, collect, world, db_session, monkeypatch):
    app.config["PROCESS_INLINE"] = False
    monkeypatch.setattr(components, "PROCESSING_STEPS", ("tests.server.test_ingest:ok_step",))
    ids = [_submit(collect, world, f"uuid:bbbbbbbb-1111-4111-8111-11111111111{i}") for i in range(3)]
    assert process_pending(app) == {"done": 3}
    assert all(_version(db_session, i).processing_state == "done" for i in ids)
    assert process_pending(app) == {}


def test_reprocess_cli(app, collect, world, db_session, cli_runner, monkeypatch):
    monkeypatch.setattr(components, "PROCESSING_STEPS", ("tests.server.test_ingest:failing_step",))
    iid = _submit(collect, world)
    assert _version(db_session, iid).processing_state == "failed"
    result = cli_runner("reprocess", "--all-failed")
    assert result.exit_code == 1 and "failed: 1" in result.output
    monkeypatch.setattr(components, "PROCESSING_STEPS", ("tests.server.test_ingest:ok_step",))
    result = cli_runner("reprocess", iid)
    assert result.exit_code == 0 and "done: 1" in result.output
    v = _version(db_session, iid)
    assert v.processing_state == "done" and v.processing_attempts == 3 and v.processing_error is None
    assert cli_runner("reprocess", "uuid:nope").exit_code != 0


def test_parse_step_uses_forms_parse_submission(app, collect, world, db_session):
    """The shipped parse step: a form that is not one of shoudi's settles as not applicable (a clean
    state, no error); an instance of a household form that cannot be parsed fails — recorded, not raised."""
    from server.ingest_steps import parse_instance
    from server.publishing import publish
    from server.storage import get_blobs
    from tests.server.helpers import form_xml, shipped_structure
    app.config["PROCESS_INLINE"] = False
    iid = _submit(collect, world)
    assert process_version(app, _version(db_session, iid).id, steps=[parse_instance]) == "not_applicable"
    v = _version(db_session, iid)
    assert v.processing_error is None and v.processing_log[-1]["status"] == "not_applicable"
    publish(db_session, get_blobs(app), world.project, shipped_structure(form_xml(form_id="household_survey")))
    db_session.commit()
    hh = "uuid:bbbbbbbb-1111-4111-8111-111111111111"
    r = collect.post(f"/v1/projects/{world.project.id}/submission",
                     data=multipart(instance_xml(hh, form_id="household_survey")))
    assert r.status_code == 201
    assert process_version(app, _version(db_session, hh).id, steps=[parse_instance]) == "failed"
    assert _version(db_session, hh).processing_error.startswith("parse: ")


SEEN: list = []


def pure_step(ctx) -> None:  # noqa: ANN001
    from server.db import WRITE_OPTION
    SEEN.append(("pure", bool(ctx.session.connection().get_execution_options().get(WRITE_OPTION))))


pure_step.pure = True


def writing_probe(ctx) -> None:  # noqa: ANN001
    from server.db import WRITE_OPTION
    SEEN.append(("write", bool(ctx.session.connection().get_execution_options().get(WRITE_OPTION))))


def test_pure_steps_run_before_the_write_transaction(app, collect, world, db_session):
    from server.db import get_db
    app.config["PROCESS_INLINE"] = False
    iid = _submit(collect, world)
    SEEN.clear()
    assert process_version(app, _version(db_session, iid).id, steps=[pure_step, writing_probe, ok_step]) == "done"
    assert [s for s, _ in SEEN] == ["pure", "write"]
    if get_db(app).is_sqlite:  # the write lock is taken only after the pure steps
        assert SEEN == [("pure", False), ("write", True)]
    assert _version(db_session, iid).record["instance_id"] == iid
    SEEN.clear()
    assert process_version(app, _version(db_session, iid).id, steps=[pure_step], force=True) == "done"


RUNS: list[int] = []


def counting_step(ctx) -> None:  # noqa: ANN001
    import time
    RUNS.append(ctx.version.id)
    time.sleep(0.02)  # long enough for the other processor to reach the same versions


def test_two_processors_process_every_version_exactly_once(app, collect, world, db_session):
    import threading
    app.config["PROCESS_INLINE"] = False
    iids = [_submit(collect, world, f"uuid:cccccccc-1111-4111-8111-1111111111{i:02d}") for i in range(12)]
    ids = {_version(db_session, iid).id for iid in iids}
    RUNS.clear()
    results: list[dict] = []
    barrier = threading.Barrier(2)

    def processor() -> None:
        barrier.wait()
        results.append(process_pending(app, steps=[counting_step]))

    threads = [threading.Thread(target=processor) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(RUNS) == sorted(ids)                      # each version ran once, none twice
    assert sum(r.get("done", 0) for r in results) == len(ids)
    assert all(_version(db_session, iid).processing_state == "done" for iid in iids)
    assert all(_version(db_session, iid).processing_attempts == 1 for iid in iids)


def failing_on_odd(ctx) -> None:  # noqa: ANN001
    writing_step_unique(ctx)
    if ctx.version.instance_id.endswith(("1", "3")):
        raise ProcessingError("odd one out")


def writing_step_unique(ctx) -> None:  # noqa: ANN001
    ctx.session.add(Region(code=f"1501211003{ctx.version.id % 100:02d}", parent_code="150121100000",
                           level="village", name="临时村", vintage=2023))


def test_a_failing_version_does_not_undo_the_others_in_its_batch(app, collect, world, db_session):
    app.config["PROCESS_INLINE"] = False
    iids = [_submit(collect, world, f"uuid:dddddddd-1111-4111-8111-11111111111{i}") for i in range(5)]
    assert process_pending(app, steps=[failing_on_odd]) == {"done": 3, "failed": 2}
    db_session.rollback()
    for iid in iids:
        v = _version(db_session, iid)
        region = db_session.get(Region, f"1501211003{v.id % 100:02d}")
        if iid.endswith(("1", "3")):
            assert v.processing_state == "failed" and v.processing_error.endswith("odd one out")
            assert v.processing_attempts == 1 and region is None      # its writes were rolled back
        else:
            assert v.processing_state == "done" and region is not None


def test_claims_grow_while_they_come_back_full(app, collect, world, db_session, monkeypatch):
    """A backlog is claimed in batches of 8, 16, 32…; a claim that is not full starts again at 8."""
    from server import ingest
    app.config["PROCESS_INLINE"] = False
    iids = [_submit(collect, world, f"uuid:eeeeeeee-1111-4111-8111-1111111111{i:02d}") for i in range(20)]
    monkeypatch.setattr(ingest, "_skip_locked", lambda session: True)   # the claiming path, also on SQLite
    sizes: list[int] = []
    real = ingest.claim_batch

    def claim(app, **kwargs):  # noqa: ANN001, ANN003, ANN202
        sizes.append(kwargs["size"])
        return real(app, **kwargs)
    monkeypatch.setattr(ingest, "claim_batch", claim)
    assert process_pending(app, steps=[ok_step]) == {"done": 20}
    assert sizes == [8, 16, 8]            # 8 (full) → 16 (12 left: not full) → 8 (none left)
    assert all(_version(db_session, iid).processing_state == "done" for iid in iids)


def test_a_drain_helper_claims_only_once_uploads_pause(app, collect, world, db_session, monkeypatch):
    """`reprocess --pending --follow --when-quiet S` (DRAIN_HELPERS): while submissions keep arriving it
    leaves them to the main processor; once none arrived for S seconds it drains the backlog."""
    from datetime import timedelta

    from sqlalchemy import update

    from server import ingest
    from server.models import utcnow
    app.config["PROCESS_INLINE"] = False
    monkeypatch.setattr(components, "PROCESSING_STEPS", ("tests.server.test_ingest:ok_step",))
    assert not ingest.backlog_is_quiet(app, 1.0)                     # nothing pending
    iids = [_submit(collect, world, f"uuid:ffffffff-1111-4111-8111-1111111111{i:02d}") for i in range(3)]
    assert not ingest.backlog_is_quiet(app, 60.0)                    # the newest arrived just now
    assert ingest._drain_while_quiet(app, 60.0, lambda: True) == {}
    assert all(_version(db_session, i).processing_state == "pending" for i in iids)

    db_session.execute(update(SubmissionVersion).values(received_at=utcnow() - timedelta(seconds=5)))
    db_session.commit()
    assert ingest.backlog_is_quiet(app, 1.0)
    monkeypatch.setattr(ingest, "_skip_locked", lambda session: True)   # the claiming path, also on SQLite
    assert ingest._drain_while_quiet(app, 1.0, lambda: True) == {"done": 3}
    assert all(_version(db_session, i).processing_state == "done" for i in iids)
    assert not ingest.backlog_is_quiet(app, 1.0)                     # nothing pending any more


def test_a_drain_helper_does_nothing_on_sqlite(app, collect, world, db_session, monkeypatch):
    from datetime import timedelta

    from sqlalchemy import update

    from server import ingest
    from server.db import get_db
    from server.models import utcnow
    if not get_db(app).is_sqlite:
        import pytest
        pytest.skip("on PostgreSQL helpers claim (the test above)")
    app.config["PROCESS_INLINE"] = False
    iid = _submit(collect, world)
    db_session.execute(update(SubmissionVersion).values(received_at=utcnow() - timedelta(seconds=5)))
    db_session.commit()
    assert ingest._drain_while_quiet(app, 1.0, lambda: True) == {}   # one writer: the main processor's job
    assert _version(db_session, iid).processing_state == "pending"


def test_serve_starts_drain_helpers_after_the_processors():
    from server import serve
    children = serve._children(1, 1, "/data", helpers=1)
    assert [(c.role, c.command[3:]) for c in children] == [
        ("processor", ["reprocess", "--pending", "--follow", "--data-dir", "/data"]),
        ("drain helper", ["reprocess", "--pending", "--follow", "--data-dir", "/data", "--when-quiet", "0.25"]),
        ("job worker", ["worker", "--data-dir", "/data"])]
    # PROCESSORS=0: the web workers process; no helper
    assert [c.role for c in serve._children(0, 0, "/data", helpers=1)] == []
