"""Faults under load, against a real `shoudi serve` on a scratch PostgreSQL cluster of its own.

1. The cluster is stopped (immediate shutdown: connections cut) for several seconds while cadres'
   phones keep uploading household surveys, then started again. Without restarting shoudi, every
   submission acknowledged with 201 (before, during or after the outage; phones retry what failed) is
   processed, `/healthz` answered 503 during the outage and 200 after it, and the outage is logged once.
2. A processor is killed with SIGKILL: `serve` restarts it (a log line), and the backlog drains.

The shared server on 5432 is never touched. Runs in the normal suite (both database runs: it brings its
own database); skipped only when no PostgreSQL binaries exist at all.
"""
from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.faults.pgcluster import ScratchCluster, binaries

pytestmark = [pytest.mark.slow, pytest.mark.faults]

OUTAGE_SECONDS = 6.0
FIRST = 120       # households uploaded in the first wave (the outage falls in the middle of it)
SECOND = 30       # households uploaded after the processor is killed


@pytest.fixture
def cluster():
    found = binaries()
    if found is None:
        pytest.skip("!!! NO POSTGRESQL BINARIES in /usr/lib/postgresql/*/bin: the database fault test cannot run "
                    "(install the postgresql server package)")
    scratch = ScratchCluster(found).init()
    scratch.wait_ready()
    yield scratch
    scratch.destroy()


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, ctype: str) -> int:
    conn.request("POST", path, body, {"X-OpenRosa-Version": "1.0", "Content-Type": ctype})
    response = conn.getresponse()
    response.read()
    return response.status


def _upload(port: int, project: int, token: str, instances: list[tuple[str, bytes]], acknowledged: list[str],
            statuses: dict, deadline: float) -> None:
    """Upload each instance until it gets its 201, as Collect retries a failed send."""
    from bench.ingest.loadgen import multipart

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = f"/v1/key/{token}/projects/{project}/submission"
    for iid, xml in instances:
        photo = (f"authorization-{iid[-8:]}.jpg", b"\xff\xd8\xff\xe0" + iid.encode() + b"\xff\xd9")
        body, ctype = multipart(b"<?xml version='1.0' ?>" + xml, photo)
        while time.monotonic() < deadline:
            try:
                status = _post(conn, path, body, ctype)
            except (OSError, http.client.HTTPException):
                status = "connection"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 201:
                acknowledged.append(iid)
                break
            time.sleep(0.3)
    conn.close()


def _shares(instances: list, offset: int, tokens: list[str], villages: list) -> dict[str, list]:
    """Household i lives in villages[i % len(villages)]; the cadre of that village (tokens[k] serves
    villages[k % len(villages)]) uploads it."""
    shares: dict[str, list] = {}
    for i, instance in enumerate(instances, start=offset):
        village = villages[i % len(villages)][0]
        token = next(t for k, t in enumerate(tokens) if villages[k % len(villages)][0] == village)
        shares.setdefault(token, []).append(instance)
    return shares


def _states(engine, iids: list[str]) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT instance_id, processing_state FROM submission_versions")).all()
    wanted = set(iids)
    counts: dict[str, int] = {}
    for iid, state in rows:
        if iid in wanted:
            counts[state] = counts.get(state, 0) + 1
    return counts


def _wait_processed(engine, iids: list[str], timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        counts = _states(engine, iids)
        if counts.get("done", 0) + counts.get("failed", 0) == len(iids) or time.monotonic() > deadline:
            return counts
        time.sleep(0.25)


def _health(url: str) -> tuple[int | None, dict]:
    try:
        r = requests.get(url + "/healthz", timeout=5)
        return r.status_code, r.json()
    except (requests.RequestException, ValueError):
        return None, {}


def test_processing_survives_a_database_outage_and_a_killed_processor(cluster, tmp_path_factory):
    from bench.ingest.bench_ingest import _env, prepare, survey_date
    from bench.ingest.households import generate
    from bench.ingest.loadgen import fetch_form
    from tests.server.liveserver import LiveServer

    data = tmp_path_factory.mktemp("faults") / "data"
    db_url = cluster.url
    env = _env(data, db_url, "WARNING")
    project, tokens, villages = prepare(data, db_url, env)
    settings = {"SHOUDI_DATABASE_URL": db_url, "SHOUDI_FSYNC": "0", "SHOUDI_PROCESSORS": "1",
                "SHOUDI_DRAIN_HELPERS": "1", "SHOUDI_JOB_WORKERS": "1", "SHOUDI_RETRY_MAX_SECONDS": "2",
                "SHOUDI_HEARTBEAT_SECONDS": "1", "SHOUDI_HEALTH_STALE_SECONDS": "4",
                "SHOUDI_LOG_LEVEL": "WARNING"}
    log_path = Path(str(data) + ".log")
    engine = create_engine(db_url, pool_pre_ping=True)
    server = LiveServer(settings, data, workers=2, threads=4, log=log_path).start()
    try:
        form = fetch_form("127.0.0.1", server.port, tokens[0], project)
        instances = generate(form, FIRST + SECOND, villages, seed=12,
                             today=survey_date(villages[0][0]))
        first, second = instances[:FIRST], instances[FIRST:]
        acknowledged: list[str] = []
        statuses: dict = {}
        deadline = time.monotonic() + 90
        threads = [threading.Thread(target=_upload, args=(server.port, project, token, share, acknowledged,
                                                          statuses, deadline))
                   for token, share in _shares(first, 0, tokens, villages).items()]
        for t in threads:
            t.start()
        while len(acknowledged) < FIRST // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acknowledged) >= FIRST // 3, f"the load never got going: {statuses}"

        # -- the outage, mid-load --------------------------------------------------------------------
        cluster.stop("immediate")
        down_at = time.monotonic()
        during: list[int | None] = []
        while time.monotonic() - down_at < OUTAGE_SECONDS:
            during.append(_health(server.url)[0])
            time.sleep(0.5)
        acknowledged_during_outage = len(acknowledged)
        cluster.start()
        for t in threads:
            t.join(timeout=max(1.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in threads), "uploads did not finish"
        assert sorted(acknowledged) == sorted(iid for iid, _ in instances[:FIRST]), statuses
        assert 503 in during and 200 not in during, f"/healthz during the outage: {during}"

        counts = _wait_processed(engine, acknowledged, timeout=60)
        assert counts == {"done": FIRST}, f"after recovery: {counts} of {FIRST} acknowledged ({statuses})"
        status, body = _health(server.url)
        deadline_ok = time.monotonic() + 15
        while status != 200 and time.monotonic() < deadline_ok:
            time.sleep(0.5)
            status, body = _health(server.url)
        assert status == 200, body
        assert body["processes"]["processor"]["alive"] >= 1 and body["processes"]["job_worker"]["alive"] >= 1
        assert body["submissions"]["pending"] == 0
        assert server.proc.poll() is None                          # never restarted
        # /metrics (loopback): the latency histogram of both web workers in one scrape, figures from the database
        metrics = requests.get(server.url + "/metrics", timeout=10).text
        uploads = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                      if line.startswith("shoudi_http_request_duration_seconds_count{")
                      and 'endpoint="openrosa.submission_key"' in line and 'status="2xx"' in line)
        assert uploads == FIRST, metrics
        assert f"shoudi_submissions_processed_total {float(FIRST)}" in metrics.splitlines()
        assert 'shoudi_processes_alive{role="processor"} 1.0' in metrics.splitlines()
        assert acknowledged_during_outage >= FIRST // 3

        # -- kill -9 of the processor ------------------------------------------------------------------
        with engine.connect() as conn:
            [victim] = conn.execute(text("SELECT pid FROM process_heartbeats WHERE role = 'processor'")).scalars()
        os.kill(victim, signal.SIGKILL)
        acknowledged2: list[str] = []
        threads = [threading.Thread(target=_upload, args=(server.port, project, token, share, acknowledged2,
                                                          statuses, time.monotonic() + 60))
                   for token, share in _shares(second, FIRST, tokens, villages).items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=70)
        assert sorted(acknowledged2) == sorted(iid for iid, _ in second), statuses
        counts = _wait_processed(engine, acknowledged2, timeout=45)
        assert counts == {"done": len(acknowledged2)}, counts
        restarted: set[int] = set()
        until = time.monotonic() + 20
        while not restarted and time.monotonic() < until:    # a new processor renews its own row
            with engine.connect() as conn:
                restarted = set(conn.execute(text(
                    "SELECT pid FROM process_heartbeats WHERE role = 'processor' AND pid <> :victim "
                    "AND beat_at > now() - interval '4 seconds'"), {"victim": victim}).scalars())
            time.sleep(0.25)
        assert restarted, "the killed processor was not restarted"
        assert server.proc.poll() is None
    finally:
        server.stop()
        engine.dispose()
    log = log_path.read_text(errors="replace")
    assert f"processor (pid {victim})" in log and "restarting in" in log, log[-3000:]
    assert log.count("processor: database unavailable") == 1, log[-3000:]     # once per outage, per process
    assert "processor: database reachable again" in log, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
