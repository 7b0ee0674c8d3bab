"""Personal data (证件号码, phone, names, health) never reaches the logs: a real household submission is
received, processed (successfully and with a failing step), read back through the API and the console,
with every logger at DEBUG, and no log record contains any of the household's personal values."""
import logging
import re

import pytest

from server.register.models import Household
from tests.server.register.test_ingest_steps import INSTANCE, submit  # noqa: F401 — fixture
from tests.server.register.world import PASSWORD

XML = INSTANCE.replace(b"<survey_date>2026-11-23</survey_date>", b"<survey_date>2021-06-01</survey_date>")
SECRETS = sorted({m.decode() for m in re.findall(
    rb"<(?:head_id_number|id_number|phone|collector_phone)>([^<]+)<", XML)} | {
    m.decode() for m in re.findall(rb"<(?:name|head_name)>([^<]+)<", XML)} | {"长期慢性病", "残疾"})


def _leaks(records) -> list[str]:
    found = []
    for rec in records:
        text = rec.getMessage() + (logging.Formatter().formatException(rec.exc_info) if rec.exc_info else "")
        found += [f"{rec.name}: {s}" for s in SECRETS if s in text]
    return found


def test_secrets_are_really_in_the_submission():
    assert "150121196803150318" in SECRETS and "13904711234" in SECRETS and "王建国" in SECRETS


def test_receiving_processing_and_reading_a_household_logs_no_personal_data(app, submit, db_session, world,  # noqa: F811
                                                                            caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    shoudi_logger = logging.getLogger("shoudi")     # has its own handler and does not propagate
    monkeypatch.setattr(shoudi_logger, "level", logging.DEBUG)
    shoudi_logger.addHandler(caplog.handler)
    monkeypatch.setattr(shoudi_logger, "handlers", shoudi_logger.handlers)  # restored by monkeypatch below
    request_cleanup = lambda: shoudi_logger.removeHandler(caplog.handler)  # noqa: E731
    assert submit(XML).status_code == 201
    household = db_session.query(Household).one()

    # a failing processing step: its error is recorded and logged, without the data it was working on
    import scoring

    def broken(record, *args, **kwargs):
        raise ValueError(f"scoring exploded on the household of {record['head_name']}")
    monkeypatch.setattr(scoring, "assess", broken)
    other = XML.replace(b"uuid:3134b20c-7078-4d2b-a5e6-7da547c4dcd9", b"uuid:3134b20c-7078-4d2b-a5e6-7da547c4dcd0")
    assert submit(other).status_code == 201
    from sqlalchemy import select

    from server.models import SubmissionVersion
    failed = db_session.scalars(select(SubmissionVersion).where(SubmissionVersion.processing_state == "failed")).all()
    assert len(failed) == 1

    client = app.test_client()
    token = client.post("/api/v1/session", json={"username": "county", "password": PASSWORD}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/households/{household.id}", headers=auth).status_code == 200
    assert client.get("/api/v1/households?q=王建国", headers=auth).status_code == 200
    assert client.get(f"/api/v1/households/{household.id}/members", headers=auth).status_code in (200, 404)
    request_cleanup()
    assert not _leaks(caplog.records), _leaks(caplog.records)
    names = {r.name for r in caplog.records}
    assert "shoudi.http" in names and "shoudi.ingest" in names, names   # the logs were captured at all
