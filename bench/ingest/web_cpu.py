"""CPU of the web side of one submission, in process (no gunicorn, no load generator, no processing).

Builds a fresh database (PostgreSQL database `shoudi_webcpu_<pid>`, not the ingest bench's, or a SQLite
file), runs `shoudi init --demo`, adds one collector with an app-user token, then posts N distinct
household submissions through the Flask test client and prints the CPU time (time.process_time)
per submission of the whole request: routing, authentication, multipart, blob writes (fsync on),
the rows and the 201. Processing is off (PROCESS_INLINE=False). `--profile` prints a cProfile of the
timed requests. Figures only.

  .venv/bin/python bench/ingest/web_cpu.py --db postgresql --n 1000
  .venv/bin/python bench/ingest/web_cpu.py --db postgresql --n 1000 --photo --profile
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.ingest import bench_ingest  # noqa: E402
from bench.ingest.households import generate  # noqa: E402
from bench.ingest.loadgen import USER_AGENT, multipart, photo_base  # noqa: E402

PG_DB = f"shoudi_webcpu_{os.getpid()}"  # several runs may go side by side
PG_ADMIN_URL = bench_ingest.PG_ADMIN_URL


def fresh_database(kind: str, data_dir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{data_dir / 'shoudi.sqlite3'}"
    bench_ingest._pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    bench_ingest._pg(f"CREATE DATABASE {PG_DB}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"


# callgrind: `valgrind --tool=callgrind .venv/bin/python bench/ingest/web_cpu.py --n 120 --post 20` and
# the same with --post 120; (Ir of the second - Ir of the first) / 100 = instructions per submission.


def _backend_pids(db_url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark database (the app's pooled connections)."""
    import psycopg
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (PG_DB,))]


def _cpu_seconds(pids: list[int]) -> float:
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--photo", action="store_true")
    parser.add_argument("--photo-kb", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the timed requests")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--post", type=int, help="post only this many of the N generated submissions (for "
                        "instruction counts: run under callgrind with two values, divide the difference)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="shoudi-webcpu-"))
    db_url = fresh_database(args.db, data_dir)
    env = bench_ingest._env(data_dir, db_url, "WARNING")
    try:
        subprocess.run([sys.executable, "-m", "server", "init", "--demo", "--data-dir", str(data_dir)],
                       env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        from sqlalchemy import select

        from server import create_app
        from server.accounts import create_user, issue_token
        from server.db import get_db, session_scope
        from server.models import Form, Project, Region

        app = create_app({"DATA_DIR": str(data_dir), "DATABASE_URL": db_url, "LOG_LEVEL": "INFO",
                          "PROCESS_INLINE": False})
        import logging
        logging.getLogger("shoudi").handlers[0].stream = open("/dev/null", "w")  # noqa: SIM115
        with session_scope(app) as session:
            project = session.scalars(select(Project).order_by(Project.id)).first()
            prefix = project.region_code.rstrip("0")
            village = session.scalars(select(Region).where(Region.level == "village",
                                                           Region.code.startswith(prefix))
                                      .order_by(Region.code)).first()
            user = create_user(session, app, "webcpu01", role="collector", password=None,
                               region_codes=[village.code], display_name="基准采集员")
            token = issue_token(session, user, project, label="bench").token
            form = session.scalars(select(Form).where(Form.project_id == project.id,
                                                      Form.xml_form_id == "household_survey")).one()
            form_xml = form.current_version.xml
            project_id = project.id
        instances = generate(form_xml, args.n + 20, [(village.code, village.name)], photo=args.photo,
                             today=bench_ingest.survey_date(village.code))
        base_photo = photo_base(args.photo_kb * 1024) if args.photo else b""
        bodies = []
        for i, (_iid, xml) in enumerate(instances):
            photo = ((f"authorization-{i}.jpg", base_photo[:-2] + i.to_bytes(8, "big") + b"\xff\xd9")
                     if args.photo else None)
            bodies.append(multipart(b"<?xml version='1.0' ?>" + xml, photo))
        client = app.test_client()
        url = f"/v1/key/{token}/projects/{project_id}/submission"
        headers = {"X-OpenRosa-Version": "1.0", "User-Agent": USER_AGENT}

        def post(body: bytes, ctype: str) -> None:
            resp = client.post(url, data=body, headers={**headers, "Content-Type": ctype})
            if resp.status_code != 201:
                raise SystemExit(f"HTTP {resp.status_code}: {resp.data[:300]!r}")

        for body, ctype in bodies[:20]:  # warm-up: caches, pool, first-use imports
            post(body, ctype)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        backends = _backend_pids(db_url) if args.db == "postgresql" else []
        backend0 = _cpu_seconds(backends)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        timed = bodies[20:] if args.post is None else bodies[20:20 + args.post]
        for body, ctype in timed:
            post(body, ctype)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        backend = _cpu_seconds(backends) - backend0
        n = len(timed)
        print(f"web_cpu {args.db} {'photo' if args.photo else 'no photo'} N={n}: "
              f"CPU {cpu / n * 1000:.2f} ms/submission, wall {wall / n * 1000:.2f} ms/submission"
              + (f", PostgreSQL backend CPU {backend / n * 1000:.2f} ms/submission" if backends else "")
              + (" (profiled)" if profiler else ""))
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
        get_db(app).dispose()
    finally:
        if args.db == "postgresql":
            bench_ingest._pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
