"""Ingest benchmark: the real `shoudi serve` on loopback, N distinct household submissions at concurrency C.

Each run starts from a fresh data dir and a fresh database (SQLite file, or the PostgreSQL database
`shoudi_bench` on 127.0.0.1:5432, created and dropped here), runs `shoudi init --demo` (which publishes
the shipped `household_survey` form), adds collectors with app-user tokens (as `shoudi collect-config`
issues them), starts `shoudi serve`, and runs the load generator (bench/ingest/loadgen.py) as a separate
process. It then waits until the database shows every submission processed (parse → score → register)
and prints acknowledged/s, fully processed/s, p50/p95/p99 of the 201 latency, errors and CPU use of
server and client. Figures only: nothing here asserts a speed.

  .venv/bin/python bench/ingest/bench_ingest.py --db postgresql --photo --n 2000 -c 8
  .venv/bin/python bench/ingest/bench_ingest.py --all --n 2000 -c 8
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator, NamedTuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "shoudi_bench"
COLLECTORS = 8
PROCESS_TIMEOUT = 900.0
POLL_SECONDS = 0.1
STALL_SECONDS = 90.0     # no submission processed for this long: stop waiting and say so


def _env(data_dir: Path, db_url: str, log_level: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUDI_")}
    env.update({"PYTHONPATH": str(ROOT), "SHOUDI_DATA_DIR": str(data_dir), "SHOUDI_DATABASE_URL": db_url,
                "SHOUDI_LOG_LEVEL": log_level})
    return env


def _pg(sql: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def fresh_database(kind: str, data_dir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{data_dir / 'shoudi.sqlite3'}"
    _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    _pg(f"CREATE DATABASE {PG_DB}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"


def drop_database(kind: str) -> None:
    if kind == "postgresql":
        _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


def prepare(data_dir: Path, db_url: str, env: dict[str, str]) -> tuple[int, list[str], list[tuple[str, str]]]:
    """`shoudi init --demo`, then collectors bound to the demo villages, each with an app-user token."""
    subprocess.run([sys.executable, "-m", "server", "init", "--demo", "--data-dir", str(data_dir)],
                   env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    from sqlalchemy import select

    from server import create_app
    from server.accounts import create_user, issue_token
    from server.db import get_db, session_scope
    from server.models import Project, Region

    app = create_app({"DATA_DIR": str(data_dir), "DATABASE_URL": db_url, "LOG_LEVEL": "WARNING"})
    with session_scope(app) as session:
        project = session.scalars(select(Project).order_by(Project.id)).first()
        prefix = project.region_code.rstrip("0")
        villages = [(r.code, r.name) for r in session.scalars(
            select(Region).where(Region.level == "village", Region.code.startswith(prefix)).order_by(Region.code))]
        tokens = []
        for k in range(COLLECTORS):
            code = villages[k % len(villages)][0]
            user = create_user(session, app, f"bench{k + 1:02d}", role="collector", password=None,
                               region_codes=[code], display_name=f"基准采集员{k + 1}")
            tokens.append(issue_token(session, user, project, label="bench").token)
        project_id = project.id
    get_db(app).dispose()
    return project_id, tokens, villages


def survey_date(village_code: str) -> date:
    """Today, or the same day in the latest earlier year with a shipped monitoring policy (so scoring runs)."""
    from scoring.policy import PolicyNotFound, load_policy
    today = date.today()
    for year in range(today.year, today.year - 10, -1):
        try:
            load_policy(village_code, year)
        except PolicyNotFound:
            continue
        return today if year == today.year else date(year, today.month, min(today.day, 28))
    return today


def server_settings(env: dict[str, str]) -> str:
    from server.config import load_settings
    cfg = load_settings({}, environ=env)
    return (f"{cfg['WORKERS']} workers × {cfg['THREADS']} threads, {cfg.get('PROCESSORS', 0)} processors, "
            f"{cfg.get('DRAIN_HELPERS', 0) if not cfg['DATABASE_URL'].startswith('sqlite') else 0} drain helpers")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, env: dict[str, str], port: int, workers: int | None,
                 threads: int | None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "server", "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1",
           "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    if threads:
        cmd += ["--threads", str(threads)]
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 — closed with the process
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited:\n" + (data_dir / "server.log").read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    _settle(proc.pid)  # every worker, processor and job worker done booting
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("server did not start within 60 s")


def _settle(pgid: int, quiet: float = 0.1, timeout: float = 30.0) -> None:
    """Wait until the server's processes (web workers, processors, job workers) have finished starting:
    their CPU time grows by less than `quiet` seconds in a second. Otherwise their imports would be
    counted as CPU of the first submissions."""
    deadline = time.monotonic() + timeout
    before = sum(group_cpu_seconds(pgid).values())
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = sum(group_cpu_seconds(pgid).values())
        if now - before < quiet:
            return
        before = now


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class _Process(NamedTuple):
    pid: str
    comm: str
    pgrp: int
    cpu: float          # user + system seconds
    children_cpu: float  # of its waited-for children (e.g. PostgreSQL's exited autovacuum workers)
    cmdline: bytes


def _processes() -> Iterator[_Process]:
    """Every live process, from /proc/<pid>/stat and cmdline (processes that end meanwhile are skipped)."""
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            head, rest = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = rest.split()  # after "(comm)": state ppid pgrp … utime(11) stime(12) cutime(13) cstime(14)
        yield _Process(entry, head.split("(", 1)[1], int(fields[2]), (int(fields[11]) + int(fields[12])) / tick,
                       (int(fields[13]) + int(fields[14])) / tick, cmdline)


def group_cpu_seconds(pgid: int) -> dict[str, float]:
    """user+system CPU of the live processes in the server's process group: web (gunicorn arbiter and
    workers) and processors (`shoudi reprocess --pending --follow` children, drain helpers included)."""
    totals = {"web": 0.0, "processors": 0.0}
    for p in _processes():
        if p.pgrp == pgid:
            totals["processors" if b"reprocess" in p.cmdline else "web"] += p.cpu
    return totals


def postgres_cpu_seconds() -> float:
    """user+system CPU of every PostgreSQL process on this machine (backends, WAL writer, checkpointer…);
    0.0 where none runs. The bench is the only client during a run, so the difference over the run is
    the database's work for it."""
    return sum(p.cpu for p in _processes() if p.comm.startswith("postgres"))


def process_cpu_table() -> dict[str, float]:
    """CPU of every live process by "pid command line" (for --detail), its waited-for children's included."""
    table = {}
    for p in _processes():
        command = p.cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
        table[f"{p.pid} {command[:90]}"] = p.cpu + p.children_cpu
    return table


def machine_cpu_seconds() -> dict[str, float]:
    """CPU time of the whole machine from /proc/stat (all cores): busy (user+nice+system+irq+softirq)
    and its system+irq+softirq part. Kernel threads (journal commits, loopback softirqs) count here and
    in no process. (The load generator reads it too, when it starts sending.)"""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    tick = os.sysconf("SC_CLK_TCK")
    return {"busy": (user + nice + system + irq + softirq) / tick, "kernel": (system + irq + softirq) / tick}


def processing_state(db_url: str):  # noqa: ANN201
    """A poll of the processing states with the plain driver (psycopg / sqlite3) on one connection: the
    bench polls every POLL_SECONDS while the server works, so the poll must cost next to nothing (an
    ORM engine and four queries per poll cost ≈ 1 ms of CPU per submission, measured with --detail)."""
    if db_url.startswith("sqlite"):
        import sqlite3
        conn = sqlite3.connect(db_url.split("///", 1)[1], timeout=30)
    else:
        import psycopg
        conn = psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def query(sql: str) -> list:
        cur = conn.cursor()
        try:
            cur.execute(sql)
            return cur.fetchall()
        finally:
            cur.close()

    def poll() -> dict:
        return dict(query("SELECT processing_state, count(*) FROM submission_versions GROUP BY processing_state"))

    def final() -> dict:
        counts = poll()
        counts["households"] = query("SELECT count(*) FROM households")[0][0]
        counts["assessments"] = query("SELECT count(*) FROM assessments")[0][0]
        last = query("SELECT max(processed_at) FROM submission_versions")[0][0]
        if isinstance(last, str):  # SQLite stores the timestamp as text
            last = datetime.fromisoformat(last)
        counts["last_processed"] = last
        return counts

    poll.final = final
    poll.close = conn.close
    return poll


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def run_once(db: str, photo: bool, args: argparse.Namespace) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"shoudi-bench-{db}-"))
    db_url = fresh_database(db, data_dir)
    env = _env(data_dir, db_url, args.log_level)
    if args.processors is not None:
        env["SHOUDI_PROCESSORS"] = str(args.processors)
    if args.drain_helpers is not None:
        env["SHOUDI_DRAIN_HELPERS"] = str(args.drain_helpers)
    proc = None
    try:
        project_id, tokens, villages = prepare(data_dir, db_url, env)
        port = free_port()
        proc = start_server(data_dir, env, port, args.workers, args.threads)
        poll = processing_state(db_url)
        job = {"host": "127.0.0.1", "port": port, "project": project_id, "tokens": tokens,
               "villages": villages, "n": args.n, "c": args.c, "photo": photo,
               "photo_bytes": args.photo_kb * 1024, "seed": args.seed,
               "survey_date": survey_date(villages[0][0]).isoformat()}
        server_cpu0 = group_cpu_seconds(proc.pid)
        pg_cpu0, machine0 = postgres_cpu_seconds(), machine_cpu_seconds()
        table0 = process_cpu_table() if args.detail else {}
        loadgen = subprocess.run([sys.executable, str(ROOT / "bench" / "ingest" / "loadgen.py")],
                                 input=json.dumps(job), capture_output=True, text=True, cwd=ROOT,
                                 timeout=PROCESS_TIMEOUT)
        if loadgen.returncode != 0:
            raise SystemExit("load generator failed:\n" + loadgen.stderr[-3000:])
        result = json.loads(loadgen.stdout)
        machine0 = result.get("machine_busy_at_start") or machine0   # from when the sending started
        acked_at = time.time()
        backlog = poll().get("pending", 0)
        acked = result["statuses"].get("201", 0)
        deadline = time.monotonic() + PROCESS_TIMEOUT
        progress, progressed_at = None, time.monotonic()
        while True:
            state = poll()
            if state.get("pending", 0) == 0 and state.get("done", 0) + state.get("failed", 0) >= acked:
                break
            if state.get("pending") != progress:
                progress, progressed_at = state.get("pending"), time.monotonic()
            if (time.monotonic() > deadline or proc.poll() is not None
                    or time.monotonic() - progressed_at > STALL_SECONDS):
                state["timed_out"] = True
                break
            time.sleep(POLL_SECONDS)
        state.update(poll.final())
        server_cpu1 = group_cpu_seconds(proc.pid)
        pg_cpu, machine1 = postgres_cpu_seconds() - pg_cpu0, machine_cpu_seconds()
        if args.detail:
            table1 = process_cpu_table()
            grown = sorted(((v - table0.get(k, 0.0), k) for k, v in table1.items()), reverse=True)
            print("  CPU by process over the run (ms per acknowledged submission):")
            for seconds, key in grown[:15]:
                if seconds > 0:
                    print(f"    {seconds * 1000 / max(1, args.n):6.2f}  {key}")
        machine_busy = machine1["busy"] - machine0["busy"]
        machine_kernel = machine1["kernel"] - machine0["kernel"]
        web_cpu = server_cpu1["web"] - server_cpu0["web"]
        processors_cpu = server_cpu1["processors"] - server_cpu0["processors"]
        server_cpu = web_cpu + processors_cpu
        poll.close()
        last = state["last_processed"]
        processed_seconds = ((last.replace(tzinfo=last.tzinfo or timezone.utc).timestamp() - result["wall_start"])
                             if last else float("nan"))
        lat = sorted(result["latencies"])
        return {
            "db": db, "photo": photo, "n": args.n, "c": args.c, "acked": acked,
            "statuses": result["statuses"], "errors": result["errors"],
            "ack_seconds": result["seconds"], "ack_rate": acked / result["seconds"],
            "backlog_at_last_ack": backlog, "done": state.get("done", 0), "failed": state.get("failed", 0),
            "pending": state.get("pending", 0), "households": state["households"],
            "timed_out": state.get("timed_out", False),
            "processed_seconds": processed_seconds,
            "processed_rate": state.get("done", 0) / processed_seconds if processed_seconds > 0 else float("nan"),
            "p50": percentile(lat, 50) * 1000, "p95": percentile(lat, 95) * 1000,
            "p99": percentile(lat, 99) * 1000, "max": (lat[-1] * 1000 if lat else float("nan")),
            "client_cpu": result["client_cpu"], "server_cpu": server_cpu, "web_cpu": web_cpu,
            "processors_cpu": processors_cpu, "postgres_cpu": pg_cpu, "machine_busy": machine_busy,
            "machine_kernel": machine_kernel,
            "wall_until_processed": max(processed_seconds, acked_at - result["wall_start"]),
            "xml_bytes_mean": result["xml_bytes_mean"], "survey_date": job["survey_date"],
            "assessments": state["assessments"], "server": server_settings(env),
        }
    finally:
        if proc is not None:
            stop_server(proc)
        drop_database(db)
        if args.keep:
            print(f"  (kept {data_dir})")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def describe(r: dict) -> str:
    other = {k: v for k, v in r["statuses"].items() if k != "201"}
    wall = r["wall_until_processed"]
    lines = [
        f"{r['db']:<10} {'photo' if r['photo'] else 'no photo':<8} N={r['n']} C={r['c']}  "
        f"(instance XML {r['xml_bytes_mean'] / 1024:.1f} KiB on average, survey date {r['survey_date']}; "
        f"server {r['server']})",
        f"  acknowledged {r['acked']}/{r['n']} in {r['ack_seconds']:.2f} s = {r['ack_rate']:.0f} submissions/s; "
        f"backlog at the last 201: {r['backlog_at_last_ack']} pending",
        f"  fully processed {r['done']} done, {r['failed']} failed, {r['pending']} pending "
        f"in {r['processed_seconds']:.2f} s = {r['processed_rate']:.0f} submissions/s; "
        f"households in the register: {r['households']}, scored: {r['assessments']}" + ("  ** STOPPED WAITING: processing stalled or timed out **" if r["timed_out"] else ""),
        f"  201 latency p50 {r['p50']:.1f} ms  p95 {r['p95']:.1f} ms  p99 {r['p99']:.1f} ms  max {r['max']:.1f} ms",
        f"  errors: {sum(other.values())} {other if other else ''} {' '.join(r['errors'])}".rstrip(),
        f"  CPU per submission: server {r['server_cpu'] / max(1, r['acked']) * 1000:.1f} ms "
        f"(web workers {r['web_cpu'] / max(1, r['acked']) * 1000:.1f} ms, "
        f"processors {r['processors_cpu'] / max(1, r['acked']) * 1000:.1f} ms), "
        f"load generator {r['client_cpu'] / max(1, r['acked']) * 1000:.1f} ms, "
        f"PostgreSQL processes {r['postgres_cpu'] / max(1, r['acked']) * 1000:.1f} ms",
        f"  whole machine: {r['machine_busy'] / max(1, r['acked']) * 1000:.1f} ms busy CPU per submission "
        f"(kernel {r['machine_kernel'] / max(1, r['acked']) * 1000:.1f} ms; not in any process above: "
        f"{(r['machine_busy'] - r['server_cpu'] - r['client_cpu'] - r['postgres_cpu']) / max(1, r['acked']) * 1000:.1f} ms), "
        f"{r['machine_busy'] / wall / (os.cpu_count() or 1) * 100:.0f}% of all {os.cpu_count()} cores until processed",
        f"  CPU over the run ({wall:.1f} s): server {r['server_cpu']:.1f} s ({r['server_cpu'] / wall * 100:.0f}% of one core), "
        f"load generator {r['client_cpu']:.1f} s ({r['client_cpu'] / r['ack_seconds'] * 100:.0f}% of one core "
        f"while sending)",
    ]
    return "\n".join(lines)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, timeout=10).stdout.strip() or "?"
    except OSError:
        commit = "?"
    return (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores ({model}); "
            f"Python {platform.python_version()}; code {commit}; load average {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--photo", action="store_true", help="attach a ~200 KB photo to each submission")
    parser.add_argument("--all", action="store_true", help="four runs: SQLite/PostgreSQL × photo/no photo")
    parser.add_argument("--n", type=int, default=2000, help="submissions per run")
    parser.add_argument("-c", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: shoudi's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: shoudi's)")
    parser.add_argument("--processors", type=int, help="background processors, SHOUDI_PROCESSORS (default: shoudi's)")
    parser.add_argument("--drain-helpers", type=int, help="SHOUDI_DRAIN_HELPERS (default: shoudi's)")
    parser.add_argument("--photo-kb", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-level", default="INFO", help="server log level (default INFO, as deployed)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir (server.log) after the run")
    parser.add_argument("--json", action="store_true", help="also print each result as JSON")
    parser.add_argument("--detail", action="store_true", help="also print the CPU of each process over the run")
    args = parser.parse_args()
    if not 1 <= args.n <= 100_000 or not 1 <= args.c <= 64:
        parser.error("--n must be 1..100000 and -c 1..64")
    runs = ([(db, photo) for db in ("sqlite", "postgresql") for photo in (False, True)]
            if args.all else [(args.db, args.photo)])
    print(f"shoudi ingest benchmark — {machine()}")
    results = []
    for db, photo in runs:
        r = run_once(db, photo, args)
        results.append(r)
        print(describe(r), flush=True)
        if args.json:
            print(json.dumps({k: v for k, v in r.items()}, default=str))
    if len(results) > 1:
        print("\n| database | photo | N | C | acknowledged/s | fully processed/s | p50 ms | p95 ms | p99 ms | errors |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in results:
            errors = sum(v for k, v in r["statuses"].items() if k != "201") + r["failed"]
            print(f"| {r['db']} | {'yes' if r['photo'] else 'no'} | {r['n']} | {r['c']} | {r['ack_rate']:.0f} | "
                  f"{r['processed_rate']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {errors} |")


if __name__ == "__main__":
    main()
