"""The DB-backed job queue (server/jobs.py) and the two jobs: department comparison and re-scoring."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.db import get_db
from server.jobs import Job, claim_next, enqueue, requeue_stale, run_pending
from server.models.base import utcnow
from server.register.assessing import assess_version
from server.register.comparison_import import create_batch, decide
from server.register.households import apply_record
from server.register.models import Assessment, ComparisonBatch, ComparisonWarning, Household
from server.storage import get_blobs
from tests.server.register.world import CHILD_ID, HEAD_ID, record


def test_a_job_is_claimed_once(app, db_session, world):
    job = enqueue(db_session, "rescore", {"region_code": "150121000000"})
    db_session.commit()
    maker = get_db(app).sessionmaker
    with maker() as one, maker() as two:
        assert claim_next(one, "w1") == job.id
        assert claim_next(two, "w2") is None
    db_session.refresh(job)
    assert (job.state, job.worker, job.attempts) == ("running", "w1", 1)


def test_stale_running_job_is_requeued(app, db_session, world):
    job = enqueue(db_session, "rescore", {"region_code": "150121000000"})
    job.state, job.heartbeat_at = "running", utcnow() - timedelta(hours=1)
    db_session.commit()
    assert requeue_stale(db_session) == 1
    db_session.refresh(job)
    assert job.state == "queued"


def test_unknown_kind_is_refused(db_session, world):
    with pytest.raises(ValueError):
        enqueue(db_session, "mine_bitcoin", {})


def test_failing_job_is_recorded_not_raised(app, db_session, world):
    job = enqueue(db_session, "comparison", {"batch_id": 999})
    db_session.commit()
    assert run_pending(app) == 1
    db_session.refresh(job)
    assert job.state == "failed" and "AttributeError" in job.error


def test_rescore_job_scores_every_household_of_the_region_with_progress(app, db_session, world):
    for i in range(3):
        apply_record(db_session, record(survey_date="2021-05-01", head_id_number=f"15012119800101{i:03d}1",
                                        members=[], household_no=f"H{i}"))
    apply_record(db_session, record(region_code="150122100201", head_id_number="150122197001010010", members=[],
                                    survey_date="2021-05-01", household_no="OUT"))
    job = enqueue(db_session, "rescore", {"region_code": "150121000000", "year": 2021})
    db_session.commit()
    run_pending(app)
    db_session.refresh(job)
    assert job.state == "done", job.error
    assert (job.done, job.total, job.result["households"]) == (3, 3, 3)
    assert job.to_dict()["percent"] == 100.0
    scored = db_session.scalars(select(Assessment.job_id)).all()
    assert scored == [job.id] * 3


def _upload(app, db_session, text, source="vehicles"):
    batch = create_batch(db_session, get_blobs(app), source=source, region_code="150121000000",
                         filename="f.csv", stream=io.BytesIO(text.encode("utf-8")))
    db_session.commit()
    run_pending(app)
    db_session.expire_all()
    return db_session.get(ComparisonBatch, batch.id)


def test_comparison_job_reimport_replaces_the_batch_and_keeps_decisions(app, db_session, world):
    applied = apply_record(db_session, record())
    db_session.commit()
    first = _upload(app, db_session, f"身份证号码,号牌号码\n{HEAD_ID},蒙A1\n{CHILD_ID},蒙A2\n1101011990,蒙A3\n")
    assert first.state == "done" and first.stats["matched"] == 2 and first.stats["invalid_id"] == 1
    warnings = db_session.scalars(select(ComparisonWarning).order_by(ComparisonWarning.id)).all()
    assert [w.household_id for w in warnings] == [applied.household.id] * 2
    decide(db_session, warnings[0], "overridden", "车辆已过户", world.users["county"])
    db_session.commit()
    second = _upload(app, db_session, f"身份证号码,号牌号码\n{HEAD_ID},蒙A1\n")
    assert second.state == "done" and second.stats["decisions_carried_over"] == 1
    assert db_session.get(ComparisonBatch, first.id).state == "replaced"
    remaining = db_session.scalars(select(ComparisonWarning)).all()
    assert [(w.batch_id, w.status, w.reason) for w in remaining] == [(second.id, "overridden", "车辆已过户")]
    other_source = _upload(app, db_session, f"身份证号码,单位名称\n{CHILD_ID},某局\n", source="public_payroll")
    assert other_source.stats["matched"] == 1
    assert db_session.get(ComparisonBatch, second.id).state == "done"   # another source leaves it alone


def test_bad_file_fails_the_batch(app, db_session, world):
    batch = _upload(app, db_session, "a,b\n1,2\n")
    assert batch.state == "failed"
    job = db_session.get(Job, batch.job_id)
    assert job.state == "failed" and "证件号码" in job.error


def test_override_reaches_scoring_history(app, db_session, world):
    applied = apply_record(db_session, record(survey_date="2021-05-01", exclusions={"vehicle": True}))
    db_session.commit()
    _upload(app, db_session, f"身份证号码,号牌号码\n{HEAD_ID},蒙A1\n")
    warning = db_session.scalars(select(ComparisonWarning)).one()
    decide(db_session, warning, "overridden", "登记在名下但实际不拥有", world.users["county"])
    household = db_session.get(Household, applied.household.id)
    assessment = assess_version(db_session, household, household.current_version)
    overridden = [f for f in assessment.result["findings"] if f.get("override")]
    assert overridden and overridden[0]["override"]["reason"] == "登记在名下但实际不拥有"
