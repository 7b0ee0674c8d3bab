"""Does the answer to a failed login tell whether the user exists? Times failed logins for an existing
and an unknown user name on each password channel (console, API, HTTP Basic), in process.

    .venv/bin/python bench/auth/unknown_user_timing.py [--rounds 40]

Reports the median and p90 (ms) per channel and user kind. Before the dummy hash (main at ed266ab), an
unknown user skipped argon2 (~8 ms vs ~40 ms in issue #12); after, both run one argon2id verification.
Login throttling is raised out of the way for the measurement.
"""
from __future__ import annotations

import argparse
import base64
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    from server import create_app
    from server.accounts import create_user
    from server.bootstrap import initialise
    from server.db import session_scope
    from server.models import Region

    tmp = tempfile.mkdtemp(prefix="shoudi-auth-bench-")
    app = create_app({"DATA_DIR": tmp, "SECRET_KEY": "bench", "LOG_LEVEL": "ERROR", "LOGIN_MAX_FAILURES": 10**9,
                      "LOGIN_ADDRESS_MAX_FAILURES": 10**9, "BASIC_AUTH_HTTP": True})
    initialise(app, echo=lambda *a, **k: None)
    with session_scope(app) as session:
        session.add(Region(code="150000000000", parent_code=None, level="province", name="p", vintage=2023))
        session.flush()
        create_user(session, app, "realuser", role="county", password="Bench-real-password",
                    region_codes=["150000000000"])
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def console(name: str) -> None:
        client.post("/console/login", data={"username": name, "password": "wrong-password-1", "csrf_token": csrf})

    def api(name: str) -> None:
        client.post("/api/v1/session", json={"username": name, "password": "wrong-password-1"})

    def basic(name: str) -> None:
        token = base64.b64encode(f"{name}:wrong-password-1".encode()).decode()
        client.get("/v1/projects/1/formList", headers={"X-OpenRosa-Version": "1.0", "Authorization": "Basic " + token})

    print(f"{'channel':<8} {'user':<8} {'median ms':>10} {'p90 ms':>8}")
    for label, call in (("console", console), ("api", api), ("basic", basic)):
        for kind, name in (("exists", "realuser"), ("unknown", "nosuchuser")):
            call(name)  # warm up
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                call(name)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            print(f"{label:<8} {kind:<8} {statistics.median(times):>10.1f} {times[int(len(times) * 0.9) - 1]:>8.1f}")


if __name__ == "__main__":
    main()
