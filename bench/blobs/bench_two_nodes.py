"""Two `shoudi serve` nodes on loopback sharing one PostgreSQL database and one S3 store (moto's server),
as a prefecture runs them behind a load balancer: household submissions with a 200 KB authorization
photo and a 20 KB signature alternate between the nodes. Prints acknowledged/s, fully processed/s,
latency, CPU per submission (web, processors, PostgreSQL, the S3 server, whole machine) and the storage
each household costs (database bytes, object bytes) — the figures docs/capacity.md is derived from.

    .venv/bin/python bench/blobs/bench_two_nodes.py [--n 600] [-c 8] [--photo-kb 200]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres), like bench/ingest/bench_ingest.py; makes and drops
its own database. The S3 server's CPU is its own line: a real object store runs elsewhere.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.ingest import bench_ingest as bi  # noqa: E402
from tests.server.household_submissions import instance  # noqa: E402
from tests.server.s3server import S3Server  # noqa: E402

DB = "shoudi_bench_two_nodes"


def _setup(data_dir: Path, env: dict[str, str]) -> str:
    """Migrated database with the test world's regions and users, the household form and a token."""
    import subprocess

    subprocess.run([sys.executable, "-m", "server", "init", "--data-dir", str(data_dir)], env=env, cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    from server import create_app
    from server.db import get_db
    from tests.server.household_submissions import setup_project
    from tests.server.register.world import build

    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    app = create_app({k.removeprefix("SHOUDI_"): v for k, v in env.items() if k.startswith("SHOUDI_")}
                     | {"DATA_DIR": str(data_dir)})
    session = get_db(app).sessionmaker()
    world = build(session)
    session.commit()
    _, path = setup_project(app, session, world.users["collector"])
    session.close()
    get_db(app).dispose()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("-c", type=int, default=8, help="concurrent uploads")
    parser.add_argument("--photo-kb", type=int, default=200)
    args = parser.parse_args()
    import requests

    bi._pg(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    bi._pg(f"CREATE DATABASE {DB}")
    db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-two-nodes-"))
    with S3Server() as s3:
        s3_env = s3.env(s3.bucket())
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("SHOUDI_")}, "PYTHONPATH": str(ROOT),
               "SHOUDI_DATABASE_URL": db_url, "SHOUDI_LOG_LEVEL": "WARNING", "SHOUDI_FSYNC": "1",
               "SHOUDI_WORKERS": "1", "SHOUDI_THREADS": "4", "SHOUDI_PROCESSORS": "1",
               "SHOUDI_DRAIN_HELPERS": "0", "SHOUDI_JOB_WORKERS": "0", **s3_env}
        path = _setup(tmp / "node-a", env)
        bodies = [(instance(i % 1000), {f"auth-{i}.jpg": os.urandom(args.photo_kb * 1000),
                                        f"sig-{i}.png": os.urandom(args.photo_kb * 100)}) for i in range(args.n)]
        # distinct households beyond 1000: the entity/instance IDs are fresh uuids in every instance()
        size_before = _db_size()
        nodes = []
        for name in ("node-a", "node-b"):
            (tmp / name).mkdir(exist_ok=True)
            port = bi.free_port()
            nodes.append((bi.start_server(tmp / name, {**env, "SHOUDI_DATA_DIR": str(tmp / name)}, port, None, None),
                          f"http://127.0.0.1:{port}{path}"))
        cpu0, pg0, m0, s30 = ([bi.group_cpu_seconds(p.pid) for p, _ in nodes], bi.postgres_cpu_seconds(),
                              bi.machine_cpu_seconds(), _moto_cpu())
        latencies: list[float] = []
        counter, lock = itertools.count(), threading.Lock()

        def worker() -> None:
            session = requests.Session()
            while (i := next(counter)) < args.n:
                xml, files = bodies[i]
                parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
                parts += [(k, (k, v, "image/jpeg")) for k, v in files.items()]
                start = time.perf_counter()
                r = session.post(nodes[i % 2][1], files=parts, headers={"X-OpenRosa-Version": "1.0"}, timeout=60)
                assert r.status_code == 201, r.text
                with lock:
                    latencies.append(time.perf_counter() - start)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.c)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sent = time.perf_counter() - t0
        while _pending(db_url):
            time.sleep(0.2)
        processed = time.perf_counter() - t0
        cpu1, pg1, m1, s31 = ([bi.group_cpu_seconds(p.pid) for p, _ in nodes], bi.postgres_cpu_seconds(),
                              bi.machine_cpu_seconds(), _moto_cpu())
        size_after = _db_size()
        object_bytes = sum(len(b) for _, files in bodies for b in files.values())
        for proc, _ in nodes:
            bi.stop_server(proc)
    bi._pg(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    n, lat = args.n, sorted(latencies)
    web = sum(c1["web"] - c0["web"] for c0, c1 in zip(cpu0, cpu1)) * 1000 / n
    proc_ms = sum(c1["processors"] - c0["processors"] for c0, c1 in zip(cpu0, cpu1)) * 1000 / n
    print(f"two nodes (1 worker × 4 threads, 1 processor each), PostgreSQL, S3 (moto), {n} submissions, "
          f"C={args.c}, photo {args.photo_kb} KB + signature {args.photo_kb // 10} KB; {os.cpu_count()} cores")
    print(f"acknowledged/s {n / sent:.0f}   fully processed/s {n / processed:.0f}   "
          f"p50/p95/p99 ms {bi.percentile(lat, 50) * 1000:.1f} / {bi.percentile(lat, 95) * 1000:.1f} / "
          f"{bi.percentile(lat, 99) * 1000:.1f}   median {statistics.median(lat) * 1000:.1f}")
    print(f"CPU ms per submission: web {web:.2f}, processors {proc_ms:.2f}, PostgreSQL {(pg1 - pg0) * 1000 / n:.2f}, "
          f"S3 server {(s31 - s30) * 1000 / n:.2f}, whole machine {(m1['busy'] - m0['busy']) * 1000 / n:.2f}")
    print(f"storage per household: database {(size_after - size_before) / n / 1000:.1f} KB, "
          f"objects {object_bytes / n / 1000:.1f} KB")


def _db_size() -> int:
    import psycopg
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB}", autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]


def _pending(db_url: str) -> int:
    import psycopg
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{DB}", autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM submission_versions WHERE processing_state = 'pending'").fetchone()[0]


def _moto_cpu() -> float:
    return sum(p.cpu for p in bi._processes() if b"moto.server" in p.cmdline)


if __name__ == "__main__":
    main()
