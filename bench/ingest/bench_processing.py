"""Processing benchmark (parse → score → register after the 201), deterministic and in one process.

Fills a seed database once with N pending `household_survey` submissions (the ingest bench's
households, posted through the Flask test client with processing off), then for each repeat copies
it (PostgreSQL `CREATE DATABASE … TEMPLATE`) and runs `server.ingest.process_pending` on the copy.
Prints the processor's CPU per submission (`time.process_time()`), the PostgreSQL backends' CPU per
submission (from /proc), SQL statements per submission and the processed rate. `--mode update`:
the pending versions update households the seed already holds (same entity, new instanceID).
`--profile FILE`: cProfile (CPU time) of the last repeat (pstats file); `--step-by-step`: without the
register's batch writer (every version runs the steps in its own savepoint). Figures only: nothing here asserts a speed.

  .venv/bin/python bench/ingest/bench_processing.py --n 1000 --repeat 3
  .venv/bin/python bench/ingest/bench_processing.py --n 1000 --mode update

Uses the PostgreSQL databases `shoudi_proc_seed_<mode>` and `shoudi_proc_run` on 127.0.0.1:5432 (created and
dropped here; not the ingest bench's `shoudi_bench`).
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.ingest.bench_ingest import _env, _pg, prepare, survey_date  # noqa: E402

SEED, RUN = "shoudi_proc_seed", "shoudi_proc_run"   # SEED gets the mode appended
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"


def _app(data_dir: Path, db: str):  # noqa: ANN202
    from server import create_app
    return create_app({"DATA_DIR": str(data_dir), "DATABASE_URL": URL.format(db), "LOG_LEVEL": "WARNING",
                       "PROCESS_INLINE": False})


def _post_all(app, project_id: int, tokens: list[str], villages: list, xmls: list[bytes]) -> None:  # noqa: ANN001
    client = app.test_client()
    by_village = {v[0]: [t for k, t in enumerate(tokens) if villages[k % len(villages)][0] == v[0]] for v in villages}
    for i, xml in enumerate(xmls):
        token = by_village[villages[i % len(villages)][0]][0]
        data = {"xml_submission_file": (io.BytesIO(b"<?xml version='1.0' ?>" + xml), "submission.xml", "text/xml")}
        r = client.post(f"/v1/key/{token}/projects/{project_id}/submission", data=data,
                        headers={"X-OpenRosa-Version": "1.0"}, content_type="multipart/form-data")
        assert r.status_code == 201, (r.status_code, r.data[:300])
        r.close()


def seed(data_dir: Path, n: int, mode: str, seed_db: str) -> None:
    from sqlalchemy import select

    from bench.ingest.households import generate
    from server.db import get_db, session_scope
    from server.ingest import process_pending
    from server.models import Form, FormVersion

    _pg(f"DROP DATABASE IF EXISTS {seed_db} WITH (FORCE)")
    _pg(f"CREATE DATABASE {seed_db}")
    env = _env(data_dir, URL.format(seed_db), "WARNING")
    project_id, tokens, villages = prepare(data_dir, URL.format(seed_db), env)
    app = _app(data_dir, seed_db)
    with session_scope(app, write=False) as session:
        form_xml = session.scalar(select(FormVersion.xml).join(Form, Form.id == FormVersion.form_id)
                                  .where(Form.xml_form_id == "household_survey").order_by(FormVersion.id.desc()))
    instances = generate(form_xml, n, villages, seed=1, today=date.fromisoformat(survey_date(villages[0][0]).isoformat()))
    _post_all(app, project_id, tokens, villages, [x for _, x in instances])
    if mode == "update":
        process_pending(app)
        updates = []
        for k, (iid, xml) in enumerate(instances):
            new_iid = f"uuid:{k:08x}-0000-4000-8000-000000000000"
            updates.append(xml.replace(iid.encode(), new_iid.encode()))
        _post_all(app, project_id, tokens, villages, updates)
    get_db(app).dispose()


class BackendCpu:
    """user+system CPU of the PostgreSQL backends serving this process's connections."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        from sqlalchemy import event
        self.pids: set[int] = set()
        # create_app may already have pooled a connection (the shared secret key is read from the
        # database): start from an empty pool so every connection used from here on is seen.
        engine.dispose()

        @event.listens_for(engine, "connect")
        def _pid(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("select pg_backend_pid()")
            self.pids.add(cur.fetchone()[0])
            cur.close()
            dbapi_conn.commit()

    def seconds(self) -> float:
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total


def run_once(data_dir: Path, seed_db: str, profile: str | None, batch: int | None, step_by_step: bool) -> dict:
    from sqlalchemy import event, func, select

    from server import ingest, plugins
    from server.db import get_db
    from server.models import SubmissionVersion

    _pg(f"DROP DATABASE IF EXISTS {RUN} WITH (FORCE)")
    _pg(f"CREATE DATABASE {RUN} TEMPLATE {seed_db}")
    app = _app(data_dir, RUN)
    from server.ingest import warm_up
    warm_up()   # imports (forms, scoring) happen once when a processor starts, not per batch
    engine = get_db(app).engine
    backend = BackendCpu(engine)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args) -> None:  # noqa: ANN002
        statements[0] += 1

    with get_db(app).sessionmaker() as session:
        pending = session.scalar(select(func.count()).select_from(SubmissionVersion)
                                 .where(SubmissionVersion.processing_state == "pending"))
    statements[0] = 0
    if batch:
        ingest.BATCH = ingest.MAX_BATCH = batch
    steps = plugins.processing_steps()
    if step_by_step:   # the same steps without the register's batch writer
        steps = [step for step in steps]
        register = steps[-1]
        steps[-1] = lambda ctx: register(ctx)
        steps[-1].step_name = ingest.step_name(register)
    pg0, cpu0, wall0 = backend.seconds(), time.process_time(), time.perf_counter()
    if profile:
        import cProfile
        prof = cProfile.Profile(time.process_time)   # CPU time, not waits on PostgreSQL
        prof.enable()
    counts = ingest.process_pending(app, steps=steps)
    if profile:
        prof.disable()
        prof.dump_stats(profile)
    cpu, wall, pg = time.process_time() - cpu0, time.perf_counter() - wall0, backend.seconds() - pg0
    get_db(app).dispose()
    return {"pending": pending, "counts": counts, "cpu": cpu, "wall": wall, "pg": pg, "statements": statements[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mode", choices=("new", "update"), default="new")
    parser.add_argument("--reuse", action="store_true", help="reuse the seed database and data dir of --data-dir")
    parser.add_argument("--data-dir", help="data dir (blobs) to keep between runs (with --reuse)")
    parser.add_argument("--batch", type=int, help="override server.ingest.BATCH")
    parser.add_argument("--profile", help="write a cProfile pstats file of the last repeat")
    parser.add_argument("--step-by-step", action="store_true", help="without the register's batch writer")
    parser.add_argument("--keep-run", action="store_true", help=f"keep the last repeat's database ({RUN}) to inspect")
    args = parser.parse_args()
    keep = bool(args.data_dir)
    seed_db = f"{SEED}_{args.mode}"
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="shoudi-proc-"))
    try:
        if not args.reuse:
            if keep and data_dir.exists():
                shutil.rmtree(data_dir)
            data_dir.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            seed(data_dir, args.n, args.mode, seed_db)
            print(f"seeded {args.n} ({args.mode}) in {time.perf_counter() - t0:.1f} s", flush=True)
        commit = os.popen(f"git -C {ROOT} describe --always --dirty").read().strip()
        print(f"code {commit}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for k in range(args.repeat):
            r = run_once(data_dir, seed_db, args.profile if k == args.repeat - 1 else None, args.batch,
                         args.step_by_step)
            n = max(1, sum(r["counts"].values()))
            print(f"  {r['pending']} pending -> {r['counts']}: processor CPU {r['cpu'] / n * 1000:.2f} ms/submission, "
                  f"PostgreSQL backend CPU {r['pg'] / n * 1000:.2f} ms/submission, "
                  f"{r['statements'] / n:.1f} statements/submission, wall {r['wall']:.1f} s = {n / r['wall']:.0f}/s",
                  flush=True)
    finally:
        if not args.keep_run:
            _pg(f"DROP DATABASE IF EXISTS {RUN} WITH (FORCE)")
        if not keep:
            _pg(f"DROP DATABASE IF EXISTS {seed_db} WITH (FORCE)")
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
