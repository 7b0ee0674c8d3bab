"""What a campaign needs, derived from measured costs per submission (docs/capacity.md).

    .venv/bin/python bench/capacity.py --households 5000000 --days 30
    .venv/bin/python bench/capacity.py --households 5000000 --days 30 --measure   # re-measure first

Costs default to the figures measured on this project's 2-core test host (docs/capacity.md says which
run each comes from); `--measure` runs bench/blobs/bench_two_nodes.py and uses its output instead.
The campaign shape (share of a day's uploads arriving in the evening peak, its length, headroom) is
an assumption given on the command line, not a measurement.
"""
from __future__ import annotations

import argparse
import math
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# measured (docs/capacity.md, "Measured"):
WEB_MS = 3.9          # web CPU per submission with a 200 KB photo stored on S3 (bench_two_nodes)
PROCESS_MS = 12.3     # parse + score + register, household_survey with 4 members (bench_two_nodes, loaded host)
DB_MS = 4.6           # PostgreSQL CPU per submission, both paths (bench_two_nodes)
DB_KB = 27.4          # database growth per household submission, indexes included (bench_two_nodes)
XML_KB = 9.0          # the instance XML, uploaded and kept in its row (counted in DB_KB)
PHOTO_KB = 200.0      # authorization photo (issue #17: ~200 KB)
SIGNATURE_KB = 20.0


def measure() -> dict[str, float]:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "blobs" / "bench_two_nodes.py"), "--n", "600"],
                         check=True, capture_output=True, text=True).stdout
    print(out)
    cpu = re.search(r"web ([\d.]+), processors ([\d.]+), PostgreSQL ([\d.]+)", out)
    db = re.search(r"database ([\d.]+) KB", out)
    return {"web": float(cpu[1]), "process": float(cpu[2]), "db": float(cpu[3]), "db_kb": float(db[1])}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--households", type=int, required=True)
    p.add_argument("--days", type=int, required=True, help="campaign length")
    p.add_argument("--visits", type=float, default=1.0, help="submissions per household in the campaign")
    p.add_argument("--peak-share", type=float, default=0.5, help="share of a day's uploads in the peak (assumed)")
    p.add_argument("--peak-hours", type=float, default=3.0, help="length of the evening peak (assumed)")
    p.add_argument("--burst", type=float, default=0.0,
                   help="uploads/s when many cadres regain signal at once (assumed; used if above the peak)")
    p.add_argument("--headroom", type=float, default=2.0, help="multiplier on CPU at the peak (assumed)")
    p.add_argument("--measure", action="store_true", help="run bench/blobs/bench_two_nodes.py first")
    a = p.parse_args()
    costs = {"web": WEB_MS, "process": PROCESS_MS, "db": DB_MS, "db_kb": DB_KB}
    if a.measure:
        costs = measure()
    subs = a.households * a.visits
    per_day = subs / a.days
    peak = max(per_day * a.peak_share / (a.peak_hours * 3600), a.burst)
    web_cores = peak * costs["web"] / 1000 * a.headroom
    db_cores_peak = peak * (costs["db"]) / 1000 * a.headroom
    # processing may lag behind the peak; it must finish each day's uploads within the day
    process_cores_day = per_day * costs["process"] / 1000 / 86400 * a.headroom
    process_cores_peak = peak * costs["process"] / 1000
    object_gb = subs * (PHOTO_KB + SIGNATURE_KB) / 1e6
    db_gb = subs * costs["db_kb"] / 1e6
    mbit = peak * (PHOTO_KB + SIGNATURE_KB + XML_KB) * 8 / 1000
    print(f"campaign: {a.households:,} households × {a.visits:g} submissions in {a.days} days = "
          f"{per_day:,.0f} per day; peak {peak:,.1f}/s ({a.peak_share:.0%} of a day in {a.peak_hours:g} h)")
    print(f"costs per submission: web {costs['web']} ms, processing {costs['process']} ms, "
          f"PostgreSQL {costs['db']} ms CPU; database {costs['db_kb']} KB")
    rows = [
        ("app nodes, web CPU at the peak (×headroom)", f"{web_cores:.2f} cores"),
        ("processing, to keep pace at the peak", f"{process_cores_peak:.2f} cores"),
        ("processing, to finish each day within the day (×headroom)", f"{process_cores_day:.2f} cores"),
        ("PostgreSQL CPU at the peak (×headroom)", f"{db_cores_peak:.2f} cores"),
        ("database size after the campaign (data + indexes)", f"{db_gb:,.1f} GB"),
        ("object storage (photo + signature)", f"{object_gb:,.0f} GB"),
        ("inbound network at the peak", f"{mbit:,.1f} Mbit/s"),
    ]
    for what, value in rows:
        print(f"  {what:<60} {value:>14}")
    print(f"  {'app nodes (≥ 2 for failover), 4 cores each':<60} {max(2, math.ceil((web_cores + process_cores_day) / 4)):>14}")


if __name__ == "__main__":
    main()
