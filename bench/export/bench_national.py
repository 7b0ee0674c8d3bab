"""Benchmark: 100,000 households (~350,000 people) → national 监测对象信息 XLSX.

Prints seconds, rows, output size and peak RSS. Target (issue #6): < 60 s and < 300 MB on the
2-core machine. Usage: ``.venv/bin/python bench/export/bench_national.py [households] [layout]``.
"""
from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from exports import layout, national  # noqa: E402
from synthetic import households  # noqa: E402


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    layout_id = sys.argv[2] if len(sys.argv) > 2 else "monitoring_persons"
    lay = layout.builtin(layout_id)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "national.xlsx"
        t0 = time.perf_counter()
        c0 = _cpu()
        summary = national.write_workbook(out, lay, households(n), region_label="甘肃省天水市甘谷县",
                                          as_of=dt.date(2026, 11, 23))
        seconds = time.perf_counter() - t0
        cpu = _cpu() - c0
        size = os.path.getsize(out)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(f"national export [{layout_id}]: {summary.households} households, {summary.rows} rows, "
          f"{len(lay.columns)} columns, {summary.issues} issues")
    print(f"  seconds: {seconds:.1f}  (target < 60)")
    print(f"  CPU seconds (this process + workers; contention-independent): {cpu:.1f}")
    print(f"  peak RSS: {rss:.0f} MB  (target < 300)")
    print(f"  load average after the run (1/5/15 min): {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"  file size: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
