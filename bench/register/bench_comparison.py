"""Department data comparison at scale: stream an N-row department CSV against a county's members
index and print rows/s and peak memory (tracemalloc), plus the full job through the database.

    .venv/bin/python bench/register/bench_comparison.py --rows 1000000 --members 400000 [--job]

Without --job only the streaming reader + matcher runs (pure, no database). With --job a temporary
SQLite register is filled with households and the comparison job runs end to end (warnings written).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scoring.idcard import check_digit  # noqa: E402
from server.register.comparison import ComparisonStats, compare  # noqa: E402


def ident(n: int) -> str:
    """A distinct valid 证件号码 for each n (birth date from n // 1000, sequence n % 1000)."""
    born = date(1950, 1, 1) + timedelta(days=n // 1000)
    first17 = f"150121{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_digit(first17)


def write_file(path: Path, rows: int, members: int, hit_rate: float) -> None:
    rnd = random.Random(7)
    with path.open("w", encoding="utf-8") as out:
        out.write("号牌号码,车辆类型,所有人,身份证号码,初次登记日期\n")
        for i in range(rows):
            n = rnd.randrange(members) if rnd.random() < hit_rate else members + i
            out.write(f"蒙A{i:06d},小型轿车,某某,{ident(n)},2023-06-01\n")


def _run(path: Path, index: dict) -> tuple[ComparisonStats, int]:
    stats = ComparisonStats()
    with path.open("rb") as fh:
        hits = sum(1 for _ in compare("vehicles", fh, index, filename=path.name, stats=stats))
    return stats, hits


def bench_stream(path: Path, members: int) -> None:
    index = {ident(n): (n // 4, n) for n in range(members)}
    started = time.perf_counter()
    stats, hits = _run(path, index)
    seconds = time.perf_counter() - started
    print(f"stream: {stats.rows:,} rows, {hits:,} hits in {seconds:.1f} s = {stats.rows / seconds:,.0f} rows/s")
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    _run(path, index)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak memory allocated while streaming (tracemalloc, second pass): {(peak - before) / 1e6:.1f} MB; "
          f"the members index ({members:,} ids) is held outside that figure")


_CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from server import create_app
from server.jobs import run_pending
app = create_app({{"DATA_DIR": {data!r}, "SECRET_KEY": "bench", "FSYNC": False, "LOG_LEVEL": "WARNING"}})
t = time.perf_counter()
run_pending(app)
print(f"{{time.perf_counter() - t:.2f}} {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}}")
"""


def bench_job(files: list[Path], members: int) -> None:
    """Fill a SQLite register with ``members`` people, then run the comparison job on each file in a
    fresh worker process and print its time and peak RSS (so file size vs memory is visible)."""
    import subprocess

    from sqlalchemy import insert

    from server import create_app
    from server.db import get_db
    from server.jobs import Job
    from server.migrate import upgrade
    from server.models import Region
    from server.register.comparison_import import create_batch
    from server.register.models import Household, Member
    from server.storage import get_blobs

    tmp = tempfile.mkdtemp(prefix="shoudi-bench-")
    app = create_app({"DATA_DIR": tmp, "SECRET_KEY": "bench", "FSYNC": False, "LOG_LEVEL": "WARNING"})
    db = get_db(app)
    upgrade(db.engine)
    with db.sessionmaker() as s:
        for code, parent, level in [("150000000000", None, "province"), ("150100000000", "150000000000", "city"),
                                    ("150121000000", "150100000000", "county"),
                                    ("150121100000", "150121000000", "township"),
                                    ("150121100201", "150121100000", "village")]:
            s.add(Region(code=code, parent_code=parent, level=level, name=code, vintage=2023))
            s.flush()
        households = members // 4
        for start in range(0, households, 20_000):
            chunk = range(start, min(households, start + 20_000))
            s.execute(insert(Household), [{"id": h + 1, "key": f"k{h}", "entity_id": f"{h:036d}",
                                           "region_code": "150121100201", "entity_version": 1} for h in chunk])
            s.execute(insert(Member), [{"household_id": h + 1, "id_number": ident(4 * h + k), "position": k,
                                        "active": True, "data": {}} for h in chunk for k in range(4)])
        s.commit()
    root = str(Path(__file__).resolve().parents[2])
    for path in files:
        with app.app_context(), db.sessionmaker() as s, path.open("rb") as fh:
            batch = create_batch(s, get_blobs(app), source="vehicles", region_code="150121000000",
                                 filename=path.name, stream=fh)
            s.commit()
            job_id = batch.job_id
        out = subprocess.run([sys.executable, "-c", _CHILD.format(root=root, data=tmp)], capture_output=True,
                             text=True, check=True).stdout.split()
        seconds, rss = float(out[0]), out[1]
        with db.sessionmaker() as s:
            job = s.get(Job, job_id)
            rows = job.result["rows"]
            print(f"job ({path.name}): state={job.state}, {rows:,} rows, {job.result['matched']:,} warnings in "
                  f"{seconds:.1f} s = {rows / seconds:,.0f} rows/s; worker peak RSS {rss} MB "
                  f"(register of {members:,} members, SQLite)")


def max_rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=400_000)
    parser.add_argument("--hit-rate", type=float, default=0.01)
    parser.add_argument("--job", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vehicles.csv"
        write_file(path, args.rows, args.members, args.hit_rate)
        print(f"file: {args.rows:,} rows, {os.path.getsize(path) / 1e6:.0f} MB, {os.cpu_count()} CPUs")
        bench_stream(path, args.members)
        if args.job:
            small = Path(tmp) / "vehicles-small.csv"
            write_file(small, max(1, args.rows // 10), args.members, args.hit_rate)
            bench_job([small, path], args.members)


if __name__ == "__main__":
    main()
