"""Benchmark of forms: building every shipped form, and parsing submissions.

Run: .venv/bin/python bench/forms/bench_forms.py [--parse N]
Prints figures; asserts nothing about speed (see the preamble's standards).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import forms  # noqa: E402
from forms.build import DEMO_POLICY  # noqa: E402

INSTANCE = ROOT / "tests" / "forms" / "data" / "household_survey_instance.xml"


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parse", type=int, default=2000, help="submissions to parse")
    parser.add_argument("--builds", type=int, default=3, help="times to build all forms")
    args = parser.parse_args()
    policy = forms.load_policy_file(DEMO_POLICY)
    builds = _timed(lambda: forms.build_all(policy), args.builds)
    print(f"build_all (5 forms, xlsx + pyxform): median {statistics.median(builds):.2f} s "
          f"over {args.builds} runs")
    sizes = {b.form_id: (len(b.xlsx_bytes), len(b.xml_bytes)) for b in forms.build_all(policy)}
    for form_id, (x, m) in sizes.items():
        print(f"  {form_id:<18} xlsx {x / 1024:7.1f} KiB   xform {m / 1024:7.1f} KiB")
    xml = INSTANCE.read_bytes()
    start = time.perf_counter()
    for _ in range(args.parse):
        forms.parse_submission(xml)
    elapsed = time.perf_counter() - start
    print(f"parse_submission (household_survey, 4 members, {len(xml)} bytes): "
          f"{args.parse / elapsed:.0f} per second ({elapsed / args.parse * 1000:.2f} ms each)")


if __name__ == "__main__":
    main()
