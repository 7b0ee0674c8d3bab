"""Backup and restore, drilled: load, back up while submissions keep arriving, wipe, restore into a new
data directory and database, then every submission, household version, assessment, audit entry and
photo is there with matching hashes. Runs on the session's database (SQLite, or PostgreSQL with
pg_dump/pg_restore of the server's version)."""
from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.storage import get_blobs, open_store
from tests.server.household_submissions import post, setup_project, submission
from tests.server.register.world import world  # noqa: F401

TABLES = ("submissions", "submission_versions", "attachments", "households", "household_versions",
          "assessments", "audit_log", "form_versions", "form_media")


def _rows(url: str) -> dict[str, dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: {r["id"]: r for r in (dict(m) for m in conn.execute(text(f"SELECT * FROM {t}")).mappings())}
                    for t in TABLES}
    finally:
        engine.dispose()


@pytest.fixture
def empty_database(migrated_url, tmp_path):
    """URL of a new, empty database of the session's kind (the place a restore goes)."""
    if not migrated_url.startswith("postgresql"):
        yield "sqlite:///" + str(tmp_path / "restored" / "shoudi.sqlite3")
        return
    admin = create_engine(os.environ["SHOUDI_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    name = f"shoudi_restore_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    yield make_url(migrated_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _cli(env: dict, *args: str):
    from server import plugins
    from server.cli import cli

    for command in plugins.cli_commands():
        cli.add_command(command)
    return CliRunner(env={"SHOUDI_FSYNC": "0", "SHOUDI_LOG_LEVEL": "WARNING", "SHOUDI_SECRET_KEY": "x", **env}) \
        .invoke(cli, list(args), catch_exceptions=False)


def test_restore_drill(app, db_session, world, cli_runner, tmp_path, empty_database):  # noqa: F811
    _, url = setup_project(app, db_session, world.users["collector"])
    client = app.test_client()
    for i in range(6):
        assert post(client, url, submission(i)[0]).status_code == 201
    before = _rows(app.config["DATABASE_URL"])
    assert all(before[t] for t in ("submissions", "household_versions", "assessments", "audit_log"))

    # back up while a collector keeps submitting
    acknowledged, stop = [], threading.Event()

    def load() -> None:
        other = app.test_client()
        for i in range(6, 40):
            if stop.is_set():
                return
            if post(other, url, submission(i)[0]).status_code == 201:
                acknowledged.append(i)

    loader = threading.Thread(target=load)
    loader.start()
    dest = tmp_path / "backup"
    try:
        result = cli_runner("backup", str(dest))
    finally:
        stop.set()
        loader.join()
    assert result.exit_code == 0, result.output
    assert acknowledged                              # submissions were answered 201 while it ran
    snapshot = next((dest / "snapshots").iterdir())
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["blobs"]["missing"] == [] and manifest["blobs"]["count"] >= 12
    source = _rows(app.config["DATABASE_URL"])     # the live database after the load

    # the disaster: a new, empty data directory and database
    target = {"SHOUDI_DATA_DIR": str(tmp_path / "restored"), "SHOUDI_DATABASE_URL": empty_database}
    restored = _cli(target, "restore", str(dest))
    assert restored.exit_code == 0, restored.output
    after = _rows(empty_database)

    # everything acknowledged before the backup started is back, unchanged
    for table in TABLES:
        assert before[table].keys() <= after[table].keys(), table
        for key, row in after[table].items():        # and whatever the snapshot caught is as it was then
            if table not in ("households", "submissions", "submission_versions", "workflow_cases"):
                assert row == source[table][key], (table, key)
        for key in before[table]:
            if table not in ("households", "submissions", "submission_versions"):
                assert after[table][key] == before[table][key], (table, key)
    assert {r["instance_id"] for r in after["submissions"].values()} >= \
        {r["instance_id"] for r in before["submissions"].values()}
    # each restored submission is whole: its version, households and photos
    store = open_store(None, data_dir=tmp_path / "restored")
    for att in after["attachments"].values():
        if att["sha256"]:
            assert store.hash_of(att["sha256"]) == att["sha256"]
    versions = {r["submission_id"] for r in after["submission_versions"].values()}
    assert versions == set(after["submissions"])
    assert len(after["attachments"]) == 2 * len(after["submission_versions"])

    # the restored data directory serves again (a second restore into it is refused)
    again = _cli(target, "restore", str(dest))
    assert again.exit_code != 0 and "not empty" in again.output
    verify = _cli(target, "blobs", "verify", "--hash")
    assert verify.exit_code == 0, verify.output


def test_backups_are_incremental_and_checked(app, db_session, world, cli_runner, tmp_path):  # noqa: F811
    _, url = setup_project(app, db_session, world.users["collector"])
    client = app.test_client()
    for i in range(3):
        assert post(client, url, submission(i)[0]).status_code == 201
    dest = tmp_path / "backup"
    first = cli_runner("backup", str(dest))
    assert first.exit_code == 0, first.output
    assert post(client, url, submission(3)[0]).status_code == 201
    second = cli_runner("backup", str(dest))
    assert second.exit_code == 0, second.output
    snaps = sorted((dest / "snapshots").iterdir())
    manifests = [json.loads((s / "manifest.json").read_text()) for s in snaps]
    assert [m["blobs"]["copied"] for m in manifests] == [manifests[0]["blobs"]["count"], 2]   # only the new photos
    assert manifests[1]["blobs"]["count"] == manifests[0]["blobs"]["count"] + 2
    for line in (snaps[1] / "blobs.txt").read_text().splitlines():
        sha, size = line.split()
        data = (dest / "blobs" / sha[:2] / sha).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha and len(data) == int(size)

    # a live database is never overwritten
    live = cli_runner("restore", str(dest))
    assert live.exit_code != 0 and "not empty" in live.output
    # a damaged dump is refused before anything is written
    dump = next(p for p in snaps[1].iterdir() if p.name.startswith("database."))
    dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
    fresh = {"SHOUDI_DATA_DIR": str(tmp_path / "fresh")}
    if app.config["DATABASE_URL"].startswith("postgresql"):
        fresh["SHOUDI_DATABASE_URL"] = app.config["DATABASE_URL"]    # refused for the dump anyway
    damaged = _cli(fresh, "restore", str(dest))
    assert damaged.exit_code != 0 and "does not match the manifest" in damaged.output
    assert not any(Path(tmp_path / "fresh" / "blobs").rglob("??/*")) if (tmp_path / "fresh" / "blobs").exists() else True


def test_a_blob_missing_from_the_store_fails_the_backup_and_is_listed(app, db_session, world, cli_runner, tmp_path):  # noqa: F811
    _, url = setup_project(app, db_session, world.users["collector"])
    data, files = submission(0)
    assert post(app.test_client(), url, data).status_code == 201
    lost = hashlib.sha256(files["auth-0.jpg"]).hexdigest()
    get_blobs(app).path(lost).unlink()                # disk damage
    result = cli_runner("backup", str(tmp_path / "backup"))
    assert result.exit_code != 0 and "missing" in result.output and lost in result.output
    [snapshot] = (tmp_path / "backup" / "snapshots").iterdir()
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["blobs"]["missing"] == [lost] and manifest["blobs"]["count"] == 1   # the signature
