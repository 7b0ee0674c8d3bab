"""Benchmark: Central-style CSV zip of 50,000 submissions with ~225,000 member (repeat) rows.

The instances are written to a temporary directory first (not timed) and read back one by one
during the export, as the server reads stored submissions. Prints seconds and peak RSS.
Target (issue #6): ≤ 12 s (ODK Central: about 25 s on a comparable machine).
Usage: ``.venv/bin/python bench/export/bench_csv.py [submissions]``.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from exports.central_csv import Submission, write_bundle  # noqa: E402

ROOT_FIELDS = [f"q{i:02d}" for i in range(40)]
GROUP_FIELDS = [f"g{i:02d}" for i in range(12)]
MEMBER_FIELDS = [f"m{i:02d}" for i in range(28)]


def xform() -> str:
    root = "".join(f"<{f}/>" for f in ROOT_FIELDS)
    group = "".join(f"<{f}/>" for f in GROUP_FIELDS)
    member = "".join(f"<{f}/>" for f in MEMBER_FIELDS)
    binds = "".join(f'<bind nodeset="/data/{f}" type="string"/>' for f in ROOT_FIELDS)
    binds += '<bind nodeset="/data/gps" type="geopoint"/><bind nodeset="/data/photo" type="binary"/>'
    return f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
<h:head><h:title>Bench survey</h:title><model>
<instance><data id="bench_survey" version="1">{root}<gps/><photo/><household>{group}</household>
<members jr:template="">{member}</members><meta><instanceID/></meta></data></instance>
{binds}</model></h:head>
<h:body><repeat nodeset="/data/members"><input ref="/data/members/m00"/></repeat></h:body></h:html>"""


def instance(i: int, rng: random.Random) -> bytes:
    root = "".join(f"<{f}>值{i % 97}-{f}</{f}>" for f in ROOT_FIELDS)
    group = "".join(f"<{f}>{rng.randrange(100000)}</{f}>" for f in GROUP_FIELDS)
    members = "".join(
        "<members>" + "".join(f"<{f}>成员{k}-{f}</{f}>" for f in MEMBER_FIELDS) + "</members>"
        for k in range(rng.choice((3, 4, 4, 5, 5, 6))))
    return (f'<data xmlns:jr="http://openrosa.org/javarosa" id="bench_survey" version="1">{root}'
            f"<gps>34.7 105.3 1500 4.5</gps><photo>p{i}.jpg</photo><household>{group}</household>"
            f"{members}<meta><instanceID>uuid:{i:08d}</instanceID></meta></data>").encode()


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(n):
            (folder / f"{i}.xml").write_bytes(instance(i, rng))
        when = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)

        def submissions():
            for i in range(n):
                yield Submission(f"uuid:{i:08d}", (folder / f"{i}.xml").read_bytes(),
                                 submission_date=when, submitter_id=5, submitter_name="村干部",
                                 attachments_present=1, attachments_expected=1,
                                 device_id="collect:abc", form_version="1")

        out = folder / "bench_survey.zip"
        t0 = time.perf_counter()
        c0 = _cpu()
        summary = write_bundle(out, xform(), submissions(), media=False, workers=workers)
        seconds = time.perf_counter() - t0
        cpu = _cpu() - c0
        size = os.path.getsize(out)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(f"central csv bundle: {summary.submissions} submissions, {summary.repeat_rows} repeat rows, "
          f"{workers} worker process(es)")
    print(f"  seconds: {seconds:.1f}  (target <= 12; Central ~25)")
    print(f"  CPU seconds (this process + workers; contention-independent): {cpu:.1f}")
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak RSS: {rss:.0f} MB (main process), {child:.0f} MB (largest worker)")
    print(f"  zip size: {size / 1e6:.1f} MB")
    print(f"  load average after the run (1/5/15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
