"""Console pages on a county-sized register: fill a temporary database with N households (one county,
10 townships × 20 villages), then time the pages a county and a township user open most, through the
Flask test client (rendering included). Prints the median and worst of several requests per page.

    .venv/bin/python bench/console/bench_pages.py --households 100000 [--database-url postgresql+psycopg://…]

Without --database-url a temporary SQLite file is used. Nothing is asserted: the figures are printed.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

COUNTY = "150121000000"
PASSWORD = "bench-Passw0rd"


def _regions() -> list[tuple[str, str | None, str, str]]:
    rows = [("150000000000", None, "province", "内蒙古自治区"), ("150100000000", "150000000000", "city", "呼和浩特市"),
            (COUNTY, "150100000000", "county", "土默特左旗")]
    for t in range(10):
        township = f"150121{100 + t:03d}000"
        rows.append((township, COUNTY, "township", f"第{t + 1}镇"))
        for v in range(20):
            rows.append((f"{township[:9]}{201 + v:03d}", township, "village", f"第{t + 1}镇{v + 1}村"))
    return rows


def fill(app, households: int) -> None:  # noqa: ANN001
    from sqlalchemy import insert, update

    from server.accounts import create_user
    from server.db import get_db
    from server.models import Region
    from server.register.models import Household, HouseholdVersion

    regions = _regions()
    villages = [code for code, _p, level, _n in regions if level == "village"]
    rnd = random.Random(5)
    with get_db(app).sessionmaker() as session:
        for code, parent, level, name in regions:
            session.add(Region(code=code, parent_code=parent, level=level, name=name, vintage=2023))
            session.flush()
        create_user(session, app, "county1", role="county", password=PASSWORD, region_codes=[COUNTY])
        create_user(session, app, "township1", role="township", password=PASSWORD, region_codes=["150121100000"])
        session.commit()
        surnames = "王李张刘陈杨赵黄周吴"
        for start in range(1, households + 1, 5000):
            ids = range(start, min(start + 5000, households + 1))
            session.execute(insert(Household), [{
                "id": i, "key": f"entity:{i}", "entity_id": str(uuid.UUID(int=i)), "entity_version": 1,
                "region_code": rnd.choice(villages), "head_name": rnd.choice(surnames) + f"户{i}",
                "category": rnd.choice([None, None, None, "unstable", "marginal", "sudden_hardship"]),
                "status": rnd.choice(["registered", "registered", "identifying", "monitored", "eliminated"]),
            } for i in ids])
            session.execute(insert(HouseholdVersion), [{
                "id": i, "household_id": i, "number": 1, "record": {"head_id_number": f"150121198001{i:06d}"},
                "conflict_fields": []} for i in ids])
            session.commit()
        session.execute(update(Household).values(current_version_id=Household.id))
        session.commit()


def timed(client, path: str, repeat: int) -> tuple[float, float, int]:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), max(times), len(response.data)


def login(app, username: str):  # noqa: ANN001, ANN202
    import re

    client = app.test_client()
    page = client.get("/console/login").data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    response = client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--analyze", action="store_true",
                        help="VACUUM ANALYZE (SQLite: ANALYZE) after the fill, as autovacuum soon would; without it "
                             "PostgreSQL plans without statistics and every household row has a dead twin "
                             "(the fill's update), so index-only scans visit the heap")
    args = parser.parse_args()

    from server import create_app
    from server.db import make_engine
    from server.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app({"DATA_DIR": tmp, "DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
        started = time.perf_counter()
        fill(app, args.households)
        if args.analyze:
            from sqlalchemy import text

            statement = "VACUUM ANALYZE" if engine.url.get_backend_name() == "postgresql" else "ANALYZE"
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(statement))
        print(f"filled {args.households:,} households in {time.perf_counter() - started:.1f} s "
              f"({engine.url.get_backend_name()}; load average {os.getloadavg()[0]:.2f})")
        pages = {
            "county1": ["/console/dashboard", "/console/households", "/console/households?page=900",
                        "/console/households?category=marginal&status=monitored", "/console/households?q=王户1",
                        "/console/households?region=150121100000"],
            "township1": ["/console/dashboard", "/console/households", "/console/jobs"],
        }
        print(f"{'user':<10} {'page':<58} {'median ms':>10} {'worst ms':>9} {'KiB':>6}")
        for user, paths in pages.items():
            client = login(app, user)
            for path in paths:
                median, worst, size = timed(client, path, args.repeat)
                print(f"{user:<10} {path:<58} {median:>10.1f} {worst:>9.1f} {size / 1024:>6.0f}")


if __name__ == "__main__":
    main()
