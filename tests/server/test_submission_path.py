"""The submission path under concurrency: writes that must wait for a busy database instead of failing."""
from __future__ import annotations

import threading
import time

from sqlalchemy import text

from server.db import get_db
from server.models import AppToken
from tests.server.helpers import OR, instance_xml, multipart


def _hold_write_lock(app, seconds: float, started: threading.Event) -> None:
    """Another writer: holds the write lock, changes a row, commits after `seconds`."""
    with get_db(app).engine.connect() as conn:
        conn = conn.execution_options(shoudi_write=True)
        with conn.begin():
            conn.execute(text("UPDATE projects SET name = name"))
            started.set()
            time.sleep(seconds)


def test_token_request_waits_for_a_busy_database_instead_of_failing(app, client, world, db_session):
    # The token was never used: the request records last_used_at, a write, while another writer is busy.
    assert db_session.query(AppToken).one().last_used_at is None
    db_session.rollback()
    started = threading.Event()
    other = threading.Thread(target=_hold_write_lock, args=(app, 0.4, started))
    other.start()
    started.wait(5)
    r = client.post(f"/v1/key/{world.token}/projects/{world.project.id}/submission", headers=OR,
                    data=multipart(instance_xml(photo=None)), content_type="multipart/form-data")
    other.join()
    assert r.status_code == 201, r.data
    db_session.rollback()
    assert db_session.query(AppToken).one().last_used_at is not None
