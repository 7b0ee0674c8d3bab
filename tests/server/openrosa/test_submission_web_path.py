"""The lean submission path: authentication, routing and the first-submission rows are read and written
with Core statements; what a process remembers (a token it verified, a form version it routed) is
checked again by the one statement that writes, so account and form changes count from the very next
request (also when made by another process); a dead database connection is replaced transparently."""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from server.accounts import bind_regions, get_user, revoke_token
from server.db import get_db, make_engine
from server.models import AppToken, Attachment, Form, Submission, SubmissionVersion
from tests.server.conftest import PASSWORD
from tests.server.helpers import JPEG, OR, DigestClient, form_xml, instance_xml, multipart

postgresql_only = pytest.mark.skipif(os.environ.get("SHOUDI_TEST_DATABASE", "sqlite") != "postgresql",
                                     reason="needs PostgreSQL")


def iid(n: int) -> str:
    return f"uuid:{n:08d}-1111-4111-8111-111111111111"


def token_post(client, world, xml: bytes, files: dict | None = None, *, token: str | None = None):
    return client.post(f"/v1/key/{token or world.token}/projects/{world.project.id}/submission?deviceID=collect:x",
                       data=multipart(xml, files), headers=dict(OR, **{"User-Agent": "okhttp/4"}),
                       content_type="multipart/form-data")


def digest_post(collect, world, xml: bytes):
    return collect.post(f"/v1/projects/{world.project.id}/submission", data=multipart(xml))


def fresh(db_session):
    db_session.rollback()  # end the read snapshot
    return db_session


# ---- authentication: no stale decisions -------------------------------------------------------------

def test_revoked_token_is_refused_on_the_very_next_submission(client, world, db_session):
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201
    revoke_token(db_session, fresh(db_session).scalars(select(AppToken)).one().id)
    db_session.commit()
    r = token_post(client, world, instance_xml(iid(2)))
    assert r.status_code == 403 and b"revoked" in r.data
    assert fresh(db_session).scalars(select(SubmissionVersion.instance_id)).all() == [iid(1)]


def test_deactivated_user_is_refused_on_the_very_next_submission(client, world, db_session, collect):
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201
    assert digest_post(collect, world, instance_xml(iid(2))).status_code == 201
    get_user(fresh(db_session), world.collector).active = False
    db_session.commit()
    assert token_post(client, world, instance_xml(iid(3))).status_code == 403
    assert digest_post(collect, world, instance_xml(iid(4))).status_code == 401
    get_user(fresh(db_session), world.collector).active = True
    db_session.commit()
    assert token_post(client, world, instance_xml(iid(5))).status_code == 201


def test_changed_regions_count_on_the_very_next_submission(client, world, db_session, collect):
    assert digest_post(collect, world, instance_xml(iid(1))).status_code == 201
    user = get_user(fresh(db_session), world.collector)
    user.regions.clear()
    db_session.flush()
    bind_regions(db_session, user, ["150122100201"])  # a village of another county
    db_session.commit()
    r = digest_post(collect, world, instance_xml(iid(2)))
    assert r.status_code == 401 and b"may not submit" in r.data


def test_token_of_another_project_and_unknown_project(client, world):
    other = client.post(f"/v1/key/{world.token}/projects/{world.other_project.id}/submission",
                        data=multipart(instance_xml(iid(1))), headers=OR, content_type="multipart/form-data")
    assert other.status_code == 403
    missing = client.post(f"/v1/key/{world.token}/projects/{world.project.id + 1000}/submission",
                          data=multipart(instance_xml(iid(1))), headers=OR, content_type="multipart/form-data")
    assert missing.status_code == 404


def test_admin_without_regions_may_submit_by_digest(client, world, db_session):
    admin = DigestClient(client, world.admin, PASSWORD)
    assert digest_post(admin, world, instance_xml(iid(1))).status_code == 201
    [v] = fresh(db_session).scalars(select(SubmissionVersion)).all()
    assert v.submitter_id == get_user(db_session, world.admin).id and v.app_token_id is None


# ---- routing: forms closed or published elsewhere count at once --------------------------------------

def test_form_closed_by_another_app_instance_is_409_at_once(app, app_config, client, world):
    from server import create_app
    other = create_app(app_config)  # another worker process, as far as state goes
    try:
        assert token_post(client, world, instance_xml(iid(1))).status_code == 201
        with get_db(other).sessionmaker() as s:
            s.scalars(select(Form).where(Form.xml_form_id == "visit")).one().state = "closed"
            s.commit()
        r = token_post(client, world, instance_xml(iid(2)))
        assert r.status_code == 409 and b"not currently accepting" in r.data
        with get_db(other).sessionmaker() as s:
            s.scalars(select(Form).where(Form.xml_form_id == "visit")).one().state = "open"
            s.commit()
        assert token_post(client, world, instance_xml(iid(2))).status_code == 201
    finally:
        get_db(other).dispose()


# ---- the rows of a first submission ------------------------------------------------------------------

def test_first_submission_rows(client, world, db_session):
    xml = instance_xml(iid(7), member_photos=("m0.jpg", "m1.jpg"))
    r = token_post(client, world, xml, {"m1.jpg": JPEG, "extra.jpg": JPEG})
    assert r.status_code == 201
    s = fresh(db_session)
    [sub] = s.scalars(select(Submission)).all()
    [v] = s.scalars(select(SubmissionVersion)).all()
    token = s.scalars(select(AppToken)).one()
    assert sub.current_version_id == v.id and v.submission_id == sub.id
    assert (sub.form_id, sub.instance_id, sub.submitter_id) == (v.form_id, iid(7), token.user_id)
    assert sub.created_at == sub.updated_at == v.received_at and v.received_at.tzinfo is not None
    assert sub.review_state is None and sub.deleted_at is None
    assert (v.deprecated_id, v.xml_sha256, v.xml_size) == (None, hashlib.sha256(xml).hexdigest(), len(xml))
    assert (v.app_token_id, v.device_id, v.user_agent) == (token.id, "collect:x", "okhttp/4")
    assert (v.processing_state, v.processing_attempts, v.processing_log, v.record) == ("pending", 0, [], None)
    assert (v.attachments_expected, v.attachments_present) == (3, 1)
    rows = {a.name: a for a in s.scalars(select(Attachment).where(Attachment.version_id == v.id))}
    assert sorted(rows) == ["m0.jpg", "m1.jpg", "photo.jpg"]
    assert (rows["m1.jpg"].sha256, rows["m1.jpg"].size, rows["m1.jpg"].content_type) == (
        hashlib.sha256(JPEG).hexdigest(), len(JPEG), "image/jpeg")
    assert rows["m1.jpg"].received_at == v.received_at
    for name in ("m0.jpg", "photo.jpg"):
        a = rows[name]
        assert (a.sha256, a.size, a.content_type, a.received_at) == (None, None, None, None)


# ---- the express lane (PostgreSQL, app-user token URLs) ------------------------------------------------

def _statements(client, monkeypatch) -> list[str]:
    """Every statement the app sends from now on (through SQLAlchemy or straight on the driver)."""
    from sqlalchemy import event

    from server import db
    seen: list[str] = []
    real = db.run_on_driver

    def on_driver(conn, sql, params):  # noqa: ANN001, ANN202
        seen.append(sql)
        return real(conn, sql, params)
    monkeypatch.setattr(db, "run_on_driver", on_driver)
    real_alone = db.HotStatement.run_alone

    def alone(self, engine, params):  # noqa: ANN001, ANN202
        seen.append(self._compiled(engine.dialect))
        return real_alone(self, engine, params)
    monkeypatch.setattr(db.HotStatement, "run_alone", alone)
    engine = get_db(client.application).engine
    listener = lambda _c, _cur, statement, *_a: seen.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    return seen


@postgresql_only
def test_express_lane_writes_a_first_submission_in_one_statement(client, world, db_session, monkeypatch):
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201  # verifies the token, routes
    seen = _statements(client, monkeypatch)
    xml = instance_xml(iid(2), member_photos=("m0.jpg",))
    r = token_post(client, world, xml, {"photo.jpg": JPEG})
    assert r.status_code == 201 and b"successful" in r.data
    assert len(seen) == 1 and "app_tokens" in seen[0] and "INSERT INTO submission_versions" in seen[0], seen
    pool = get_db(client.application).engine.pool
    pooled = [rec.dbapi_connection for rec in list(pool._pool.queue) if rec.dbapi_connection is not None]
    assert pooled and all(c.autocommit is False for c in pooled), pool.status()  # back in transaction mode
    v = fresh(db_session).scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == iid(2))).one()
    token = db_session.scalars(select(AppToken)).one()
    assert (v.submitter_id, v.app_token_id, v.xml, v.device_id) == (token.user_id, token.id, xml, "collect:x")
    assert v.submission.current_version_id == v.id and v.submission.submitter_id == token.user_id
    assert {a.name: a.sha256 for a in v.attachments} == {"m0.jpg": None,
                                                          "photo.jpg": hashlib.sha256(JPEG).hexdigest()}
    assert (v.attachments_expected, v.attachments_present) == (2, 1)


@postgresql_only
def test_digest_submissions_take_the_express_lane_after_authenticating(collect, client, world, db_session,
                                                                        monkeypatch):
    """Digest: the lock, the user and the nonce count are checked and the project's region read (the
    region rule lives in Python), then one guarded INSERT instead of the route read and the INSERT."""
    client.application.config["PROCESS_INLINE"] = False
    assert digest_post(collect, world, instance_xml(iid(1))).status_code == 201  # routes the form version
    seen = _statements(client, monkeypatch)
    assert digest_post(collect, world, instance_xml(iid(2))).status_code == 201
    # the account/address lock, the user, the nonce count (Collect's nc + 1: one UPDATE), the project,
    # then the one guarded INSERT
    assert len(seen) == 5, seen
    assert "login_throttles" in seen[0] and "digest_ha1" in seen[1] and "UPDATE digest_nonces" in seen[2]
    assert "FROM projects" in seen[3] and "INSERT INTO submission_versions" in seen[4]
    v = fresh(db_session).scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == iid(2))).one()
    assert (v.submitter_id, v.app_token_id) == (get_user(db_session, world.collector).id, None)


def test_express_lane_leaves_resubmissions_and_conflicts_to_the_full_path(client, world, db_session):
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201
    assert token_post(client, world, instance_xml(iid(2)), {"photo.jpg": JPEG}).status_code == 201
    again = token_post(client, world, instance_xml(iid(2)), {"photo.jpg": JPEG})  # identical: Collect retried
    assert again.status_code == 201
    assert token_post(client, world, instance_xml(iid(2), name="李四")).status_code == 409
    [v] = fresh(db_session).scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == iid(2))).all()
    assert v.attachments_present == 1


def test_express_lane_refuses_a_revoked_token_and_forgets_it(client, world, db_session):
    from server.auth import tokens
    from server.auth.identity import recently_verified
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201
    with client.application.app_context():
        from server.db import get_session
        sha = tokens.token_digest(world.token)
        known = recently_verified(get_session(), world.token, world.project.id)
        assert known in (None, sha)  # remembered (for this project) on PostgreSQL only
        assert recently_verified(get_session(), world.token, world.other_project.id) is None
    revoke_token(db_session, fresh(db_session).scalars(select(AppToken)).one().id)
    db_session.commit()
    assert token_post(client, world, instance_xml(iid(2)), {"photo.jpg": JPEG}).status_code == 403
    with client.application.app_context():
        assert recently_verified(get_session(), world.token, world.project.id) is None
    assert fresh(db_session).scalars(select(SubmissionVersion.instance_id)).all() == [iid(1)]


def test_express_lane_records_token_use_every_ten_minutes(client, world, db_session):
    from datetime import timedelta

    from server.auth.identity import TOKEN_TOUCH
    from server.models import utcnow
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201
    token = fresh(db_session).scalars(select(AppToken)).one()
    long_ago = utcnow() - TOKEN_TOUCH - timedelta(minutes=1)
    token.last_used_at = long_ago
    db_session.commit()
    assert token_post(client, world, instance_xml(iid(2))).status_code == 201
    db_session.expire_all()
    assert fresh(db_session).scalars(select(AppToken)).one().last_used_at > long_ago + timedelta(minutes=1)


def test_express_lane_routes_a_newly_published_version(app, client, world, db_session):
    from server.publishing import publish
    from server.storage import get_blobs
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201
    publish(fresh(db_session), get_blobs(app), db_session.get(type(world.project), world.project.id),
            form_xml(version="2024020202"))
    db_session.commit()
    assert token_post(client, world, instance_xml(iid(2), version="2024020202")).status_code == 201
    assert token_post(client, world, instance_xml(iid(3))).status_code == 201  # the older version still
    assert token_post(client, world, instance_xml(iid(4), version="2099")).status_code == 404
    versions = {v.instance_id: v.form_version_id for v in fresh(db_session).scalars(select(SubmissionVersion))}
    assert len(versions) == 3 and versions[iid(2)] != versions[iid(3)] == versions[iid(1)]


def test_first_submission_without_binary_fields_or_instance_name(client, world, db_session):
    xml = instance_xml(iid(8), photo=None)
    assert token_post(client, world, xml).status_code == 201
    [v] = fresh(db_session).scalars(select(SubmissionVersion)).all()
    assert (v.attachments_expected, v.attachments_present, v.attachments) == (0, 0, [])
    assert v.instance_name is None


@contextmanager
def _competing_upload(monkeypatch, app_config, world, xml: bytes, step: str, *, after: bool = False):
    """While in the block, the first call of `intake.<step>` (by whichever request) lets another app
    instance (another worker, as far as state goes) upload `xml` first — or right after the step, with
    `after=True`. Yields the list that receives the competitor's status code."""
    from server import create_app
    from server.submissions import intake
    other = create_app(app_config)
    real = getattr(intake, step)
    raced: list[int] = []

    def patched(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        result = real(*args, **kwargs) if after else None
        if not raced:
            raced.append(0)  # the competing request runs this step too
            raced[0] = token_post(other.test_client(), world, xml).status_code
        return result if after else real(*args, **kwargs)

    monkeypatch.setattr(intake, step, patched)
    try:
        yield raced
    finally:
        get_db(other).dispose()


def test_a_duplicate_that_wins_the_race_is_decided_again(app, app_config, client, world, db_session,
                                                          monkeypatch):
    """Another request stores the same instanceID between the routing read and the insert: the insert
    fails on the unique key and the request is decided again against the stored one (201, not created)."""
    from server.submissions import intake
    decided_again: list[str] = []
    real_store = intake._store

    def store(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        decided_again.append(kwargs["instance_id"])
        return real_store(*args, **kwargs)

    monkeypatch.setattr(intake, "_store", store)
    with _competing_upload(monkeypatch, app_config, world, instance_xml(iid(9)), "begin_write") as raced:
        r = token_post(client, world, instance_xml(iid(9)), {"photo.jpg": JPEG})
    assert raced == [201] and r.status_code == 201
    assert decided_again == [iid(9)]  # the first insert failed on the unique key
    [v] = fresh(db_session).scalars(select(SubmissionVersion)).all()
    assert v.instance_id == iid(9) and v.attachments_present == 1  # the late file was added to it
    assert len(db_session.scalars(select(Submission)).all()) == 1


@postgresql_only
def test_express_lane_race_with_a_duplicate_is_decided_by_the_full_path(app, app_config, client, world,
                                                                         db_session, monkeypatch):
    """The same instanceID is stored by another process after the express lane stored the photo and
    before its statement: the statement writes nothing, and the full path adds the photo to the stored
    version (201, one version)."""
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201  # token verified, routed
    with _competing_upload(monkeypatch, app_config, world, instance_xml(iid(9)), "_store_files",
                           after=True) as raced:
        r = token_post(client, world, instance_xml(iid(9)), {"photo.jpg": JPEG})
    assert raced == [201] and r.status_code == 201
    [v] = fresh(db_session).scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == iid(9))).all()
    assert v.attachments_present == 1 and v.attachments[0].sha256 == hashlib.sha256(JPEG).hexdigest()


# ---- a database restart ------------------------------------------------------------------------------

def _kill_pooled_connections(app) -> int:
    """Terminate the server side of every connection idle in the app's pool (as a restart would)."""
    engine = get_db(app).engine
    pids = [rec.dbapi_connection.info.backend_pid for rec in list(engine.pool._pool.queue)
            if rec.dbapi_connection is not None]
    admin = make_engine(app.config["DATABASE_URL"])
    try:
        with admin.begin() as conn:
            for pid in pids:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()
    return len(pids)




@postgresql_only
def test_submission_survives_dead_pooled_connections(client, world, db_session):
    """Connections in steady use are not pinged: the first statement fails, the pool is invalidated
    and the request runs again on a fresh connection."""
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201
    engine = get_db(client.application).engine
    held = [engine.connect() for _ in range(4)]  # several connections in the pool, all to be killed
    for conn in held:
        conn.exec_driver_sql("SELECT 1")
        conn.close()
    assert _kill_pooled_connections(client.application) >= 4
    assert token_post(client, world, instance_xml(iid(2)), {"photo.jpg": JPEG}).status_code == 201
    assert token_post(client, world, instance_xml(iid(3))).status_code == 201
    assert sorted(fresh(db_session).scalars(select(SubmissionVersion.instance_id)).all()) == [iid(1), iid(2), iid(3)]


@postgresql_only
def test_idle_connections_are_pinged_at_checkout(client, world, db_session, monkeypatch):
    from server import db
    assert token_post(client, world, instance_xml(iid(1))).status_code == 201
    assert _kill_pooled_connections(client.application) >= 1
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)
    retried: list[int] = []
    real_retry = db.retry_on_disconnect

    def no_retry_needed(session, work):  # noqa: ANN001, ANN202
        try:
            return work()
        except Exception:
            retried.append(1)
            raise
    monkeypatch.setattr("server.openrosa.views.retry_on_disconnect", no_retry_needed)
    monkeypatch.setattr("server.submissions.intake.retry_on_disconnect", no_retry_needed)
    assert token_post(client, world, instance_xml(iid(2))).status_code == 201
    assert retried == [] and real_retry is not None  # the ping found the dead connection first


@postgresql_only
def test_only_single_statement_writes_run_in_autocommit(client, world, db_session, monkeypatch):
    """A first submission is one INSERT statement (its own transaction, no BEGIN/COMMIT round trips); an
    edit writes several rows and runs in one transaction."""
    from sqlalchemy import event

    from server import db
    engine = get_db(client.application).engine
    seen: list[tuple[str, bool]] = []

    def record(conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202 — statements through SQLAlchemy
        if statement.lstrip().upper().startswith("INSERT"):
            seen.append((statement.split()[2], conn.connection.dbapi_connection.autocommit))
    real_execute = db._execute

    def execute(dialect, driver, sql, *args):  # noqa: ANN001, ANN202 — statements straight on the driver
        if "INSERT" in sql:
            seen.append(("cte", driver.autocommit))
        return real_execute(dialect, driver, sql, *args)
    # the token's first use records last_used_at (and leaves autocommit for that request)
    assert token_post(client, world, instance_xml(iid(0))).status_code == 201
    monkeypatch.setattr(db, "_execute", execute)
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert token_post(client, world, instance_xml(iid(1))).status_code == 201
        assert seen == [("cte", True)]
        seen.clear()
        edit = instance_xml(iid(2), deprecated_id=iid(1))
        assert token_post(client, world, edit).status_code == 201
        assert seen and all(autocommit is False for _table, autocommit in seen), seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
    _v0, v1, v2 = sorted(fresh(db_session).scalars(select(SubmissionVersion)).all(), key=lambda v: v.id)
    assert v2.submission.current_version_id == v2.id and v2.deprecated_id == iid(1)
