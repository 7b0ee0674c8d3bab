"""`shoudi backup DEST` and `shoudi restore SRC`: a consistent database dump plus the blobs it refers to.

Layout of a backup directory (several backups share one, blobs are copied once: incremental):

    DEST/blobs/ab/<sha256>                 every blob any snapshot refers to, verified by hash when copied
    DEST/snapshots/<UTC time>/database.*   SQLite: a copy made by SQLite's online backup API;
                                           PostgreSQL: `pg_dump -Fc` (custom format)
    DEST/snapshots/<UTC time>/blobs.txt    "<sha256> <size>" of every blob this snapshot refers to
    DEST/snapshots/<UTC time>/manifest.json  database file + its sha256, schema revision, blob list sha256

Consistency: the blobs referenced are read from the same snapshot as the dump (SQLite: from the copy;
PostgreSQL: pg_dump runs on a snapshot exported by the transaction that lists them). A blob is always
stored before the row that refers to it is committed, and blobs are never changed, so the snapshot's
blobs are all there however busy the server is while the backup runs.

Restore goes the other way: manifest and hashes checked, blobs copied into the configured store (each
verified, those already there kept), then the database, only into an empty one.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import click
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url

from server.cli import data_dir_option, make_app

FORMAT = 1
CHUNK = 1 << 20


class BackupError(Exception):
    pass


# --- helpers ---------------------------------------------------------------------------------------

def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def pg_tool(engine: Engine, name: str) -> str:
    """pg_dump / pg_restore of the server's major version (Debian: /usr/lib/postgresql/N/bin), else PATH."""
    with engine.connect() as conn:
        major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} (PostgreSQL {major}) not found: install postgresql-client-{major}")
    return found


def pg_env(url: str) -> dict[str, str]:
    """libpq environment for a SQLAlchemy URL (the password never appears on a command line)."""
    u = make_url(url)
    env = dict(os.environ)
    for key, value in (("PGHOST", u.host), ("PGPORT", u.port), ("PGUSER", u.username),
                       ("PGPASSWORD", u.password), ("PGDATABASE", u.database)):
        if value is not None:
            env[key] = str(value)
    return env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _schema_revision(conn) -> str | None:  # noqa: ANN001
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


# --- backup ----------------------------------------------------------------------------------------

def _write_refs(conn, refs: Path) -> None:  # noqa: ANN001
    """The snapshot's referenced blobs, sorted, one per line (a province has millions: not in memory)."""
    from server.blob_refs import referenced_blobs

    with open(refs, "w") as out:
        for sha in referenced_blobs(conn):
            out.write(sha + "\n")


def _dump_sqlite(engine: Engine, target: Path, refs: Path) -> str | None:
    """Online backup of the live database into `target`; the blobs listed come from that copy."""
    from sqlalchemy import create_engine

    source = sqlite3.connect(_sqlite_path(str(engine.url)), timeout=60)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)          # one step: a consistent copy even while others write
            dest.execute("PRAGMA journal_mode=DELETE")   # a single self-contained file
        finally:
            dest.close()
    finally:
        source.close()
    copy = create_engine(f"sqlite:///{target}")
    try:
        with copy.connect() as conn:
            _write_refs(conn, refs)
            return _schema_revision(conn)
    finally:
        copy.dispose()


def _dump_postgresql(engine: Engine, target: Path, refs: Path) -> str | None:
    """pg_dump on a snapshot exported by the transaction that also lists the referenced blobs."""
    tool = pg_tool(engine, "pg_dump")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            _run([tool, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  "--file", str(target)], pg_env(engine.url.render_as_string(hide_password=False)))
            _write_refs(conn, refs)
            return _schema_revision(conn)


def _copy_blob_out(store, sha: str, blob_dir: Path) -> tuple[str, int, bool]:  # noqa: ANN001
    """Copy one blob into the backup unless there; returns (sha, size, copied). Verified by hash."""
    final = blob_dir / sha[:2] / sha
    if final.exists():
        return sha, final.stat().st_size, False
    final.parent.mkdir(exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=blob_dir / "tmp")
    try:
        with os.fdopen(fd, "wb") as out, store.open(sha) as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha:
            raise BackupError(f"blob {sha} in the store hashes to {digest.hexdigest()}")
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return sha, size, True


def run_backup(app, dest: Path, *, jobs: int = 8, progress=None) -> dict:  # noqa: ANN001
    """Take one snapshot into `dest`; returns its manifest."""
    from server.db import get_db
    from server.storage import get_blobs

    engine, store = get_db(app).engine, get_blobs(app)
    started = datetime.now(timezone.utc)
    name = started.strftime("%Y%m%dT%H%M%S%fZ")
    snap = dest / "snapshots" / name
    (dest / "blobs" / "tmp").mkdir(parents=True, exist_ok=True)
    work = dest / "snapshots" / f".{name}.partial"
    work.mkdir(parents=True)
    try:
        manifest = _take(engine, store, dest, work, started, name, jobs, progress)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)      # no half snapshot is left to be mistaken for one
        raise
    os.replace(work, snap)           # a snapshot directory exists only once complete
    return manifest


def _take(engine: Engine, store, dest: Path, work: Path, started: datetime, name: str, jobs: int,  # noqa: ANN001
          progress) -> dict:  # noqa: ANN001
    dialect = engine.dialect.name
    db_file = work / ("database.sqlite3" if dialect == "sqlite" else "database.pgdump")
    refs = work / ".refs"
    if dialect == "sqlite":
        revision = _dump_sqlite(engine, db_file, refs)
    elif dialect == "postgresql":
        revision = _dump_postgresql(engine, db_file, refs)
    else:
        raise BackupError(f"no backup method for {dialect}")
    missing: list[str] = []
    count = total = new = 0

    def copy(sha: str) -> tuple[str, int, bool, bool]:
        try:
            return (*_copy_blob_out(store, sha, dest / "blobs"), True)
        except FileNotFoundError:
            return sha, 0, False, False

    listing = work / "blobs.txt"
    with open(refs) as shas, open(listing, "w") as out, ThreadPoolExecutor(jobs) as pool:
        while chunk := [line.strip() for line in itertools.islice(shas, 1000)]:
            for sha, size, copied, found in pool.map(copy, chunk):     # in order: blobs.txt stays sorted
                if not found:
                    missing.append(sha)
                    continue
                out.write(f"{sha} {size}\n")
                count, total, new = count + 1, total + size, new + copied
                if progress:
                    progress(1)
    refs.unlink()
    _fsync_file(db_file)
    manifest = {
        "format": FORMAT, "created_at": started.isoformat(), "snapshot": name,
        "database": {"dialect": dialect, "file": db_file.name, "sha256": _file_sha256(db_file),
                     "size": db_file.stat().st_size, "schema_revision": revision},
        "blobs": {"list": listing.name, "list_sha256": _file_sha256(listing), "count": count,
                  "bytes": total, "copied": new, "missing": sorted(missing),
                  "source": store.url},
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for path in work.iterdir():
        _fsync_file(path)
    return manifest


# --- restore ---------------------------------------------------------------------------------------

def find_snapshot(src: Path, name: str | None) -> Path:
    if (src / "manifest.json").exists():
        return src
    snaps = sorted(p for p in (src / "snapshots").glob("*") if not p.name.startswith(".")) \
        if (src / "snapshots").is_dir() else []
    if name:
        snaps = [p for p in snaps if p.name == name]
    if not snaps:
        raise BackupError(f"no snapshot {name or ''} in {src}".replace("  ", " "))
    return snaps[-1]


def _database_is_empty(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite":      # looked at without the app's engine (it would make the file)
        path = _sqlite_path(str(engine.url))
        if not path.exists():
            return True
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
        finally:
            conn.close()
    with engine.connect() as conn:
        return not inspect(conn).get_table_names()


def check_snapshot(snap: Path) -> dict:
    """The manifest of a snapshot, after checking the hashes of its database file and blob list."""
    manifest = json.loads((snap / "manifest.json").read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    db = manifest["database"]
    if _file_sha256(snap / db["file"]) != db["sha256"]:
        raise BackupError(f"{snap / db['file']}: sha256 does not match the manifest")
    if _file_sha256(snap / manifest["blobs"]["list"]) != manifest["blobs"]["list_sha256"]:
        raise BackupError(f"{snap / manifest['blobs']['list']}: sha256 does not match the manifest")
    return manifest


def _blob_lines(snap: Path, manifest: dict) -> Iterator[tuple[str, int]]:
    with open(snap / manifest["blobs"]["list"]) as f:
        for line in f:
            sha, size = line.split()
            yield sha, int(size)


def _restore_blob(store, root: Path, sha: str, size: int) -> bool:  # noqa: ANN001
    if store.size(sha) == size:
        return False
    with open(root / sha[:2] / sha, "rb") as f:
        store.put_stream(f, md5=False, expect=sha)
    return True


def run_restore(app, src: Path, *, snapshot: str | None = None, jobs: int = 8, progress=None) -> dict:  # noqa: ANN001
    from server.db import get_db
    from server.storage import get_blobs

    engine, store = get_db(app).engine, get_blobs(app)
    snap = find_snapshot(src, snapshot)
    manifest = check_snapshot(snap)
    dialect = manifest["database"]["dialect"]
    if dialect != engine.dialect.name:
        raise BackupError(f"the backup is of a {dialect} database, the target is {engine.dialect.name}")
    if not _database_is_empty(engine):
        raise BackupError("the target database is not empty: restore only into a new, empty database "
                          "(a live one is never overwritten)")
    root = snap.parent.parent / "blobs" if (snap.parent.name == "snapshots") else snap / "blobs"
    copied = count = 0
    lines = _blob_lines(snap, manifest)
    with ThreadPoolExecutor(jobs) as pool:
        while chunk := list(itertools.islice(lines, 1000)):
            for done in pool.map(lambda item: _restore_blob(store, root, *item), chunk):
                copied, count = copied + done, count + 1
                if progress:
                    progress(1)
    db_file = snap / manifest["database"]["file"]
    if dialect == "sqlite":
        target = _sqlite_path(str(engine.url))
        engine.dispose()
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
        _fsync_file(target)
    else:
        tool = pg_tool(engine, "pg_restore")
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()
        _run([tool, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              "--dbname", make_url(url).database, str(db_file)], pg_env(url))
    return {"snapshot": snap.name, "blobs": count, "blobs_copied": copied,
            "schema_revision": manifest["database"]["schema_revision"]}


# --- CLI -------------------------------------------------------------------------------------------

@click.command("backup")
@data_dir_option
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--jobs", default=8, show_default=True, type=click.IntRange(1, 64), help="Blobs copied at once.")
def backup_command(data_dir, dest, jobs):  # noqa: ANN001
    """备份 — a consistent database dump plus every blob it refers to (blobs incremental), with a
    manifest of hashes, into DEST/snapshots/<time>/ and DEST/blobs/."""
    from tqdm import tqdm

    app = make_app(data_dir)
    try:
        with tqdm(unit="blob", desc="backup", file=sys.stderr) as bar:
            manifest = run_backup(app, dest, jobs=jobs, progress=bar.update)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    blobs = manifest["blobs"]
    click.echo(f"snapshot {manifest['snapshot']}: database {manifest['database']['size']} bytes "
               f"(sha256 {manifest['database']['sha256'][:12]}…), {blobs['count']} blobs "
               f"({blobs['bytes'] / 1e6:.1f} MB, {blobs['copied']} new) → {dest}")
    if blobs["missing"]:
        raise click.ClickException(f"{len(blobs['missing'])} referenced blobs are missing from the store "
                                   f"(listed in the manifest), e.g. {blobs['missing'][0]}")


@click.command("restore")
@data_dir_option
@click.argument("src", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--snapshot", default=None, help="Snapshot name (default: the latest in SRC).")
@click.option("--jobs", default=8, show_default=True, type=click.IntRange(1, 64), help="Blobs copied at once.")
def restore_command(data_dir, src, snapshot, jobs):  # noqa: ANN001
    """还原 — restore a backup into an empty database and the configured blob store (refuses a
    database that has tables; blobs already in the store are kept)."""
    from tqdm import tqdm

    app = make_app(data_dir)
    try:
        with tqdm(unit="blob", desc="restore", file=sys.stderr) as bar:
            result = run_restore(app, src, snapshot=snapshot, jobs=jobs, progress=bar.update)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored snapshot {result['snapshot']}: {result['blobs']} blobs "
               f"({result['blobs_copied']} copied), schema {result['schema_revision']}")
