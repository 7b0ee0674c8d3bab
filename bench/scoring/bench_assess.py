"""Benchmark: score N synthetic households on one core; print households/s and peak memory.

    .venv/bin/python bench/scoring/bench_assess.py [--n 1000000] [--chunk 20000] [--seed 4]

Households are generated in chunks (generation is not timed); only ``scoring.assess`` is timed,
in CPU time of this process (what one core delivers, whatever else runs on the machine) and in wall
time (which other load on the machine inflates).
``--to-dict`` also times ``Assessment.to_dict()`` (JSON-ready output, rendered messages).
The first line says which implementation ran: ``compiled`` (mypyc build in scoring/_native/) or
``pure``; ``SHOUDI_SCORING_PURE=1`` forces the pure-Python modules.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import sys
import time
from datetime import date

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(os.path.dirname(_HERE)), _HERE]

import scoring  # noqa: E402
from synth import household  # noqa: E402


def _calibrate() -> float:
    """A fixed pure-Python loop, to compare figures taken on different machines or loads."""
    d = {str(i): i for i in range(64)}
    keys = list(d) * 4000
    best = 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        for k in keys:
            d.get(k)
        best = max(best, len(keys) / (time.perf_counter() - t0) / 1e6)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--chunk", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--year", type=int, default=2021)
    ap.add_argument("--to-dict", action="store_true")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    policies = {}
    as_of = date(args.year, 12, 20)
    done = 0
    elapsed = 0.0
    cpu = 0.0
    categories: dict = {}
    findings = 0
    rates: list[float] = []
    calib = _calibrate()
    while done < args.n:
        k = min(args.chunk, args.n - done)
        batch = [household(rng, args.year) for _ in range(k)]
        pols = []
        for rec, _ in batch:
            code = rec["region_code"][:6]
            pol = policies.get(code)
            if pol is None:
                pol = policies[code] = scoring.load_policy(code, args.year)
            pols.append(pol)
        assess = scoring.assess
        c0 = time.process_time()
        t0 = time.perf_counter()
        if args.to_dict:
            for (rec, hist), pol in zip(batch, pols):
                out = assess(rec, pol, hist, as_of).to_dict()
                categories[out["category"]] = categories.get(out["category"], 0) + 1
        else:
            for (rec, hist), pol in zip(batch, pols):
                a = assess(rec, pol, hist, as_of)
                categories[a.category] = categories.get(a.category, 0) + 1
                findings += len(a.rule_ids())
        dt = time.perf_counter() - t0
        cpu += time.process_time() - c0
        elapsed += dt
        rates.append(k / dt)
        done += k
        del batch, pols
        gc.collect()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"implementation    : {scoring.IMPLEMENTATION} ({scoring.IMPLEMENTATION_REASON})")
    print(f"households scored : {done:,}")
    what = "assess + to_dict" if args.to_dict else "assess"
    print(f"scoring time      : {elapsed:.2f} s wall, {cpu:.2f} s CPU (one process, one core)")
    print(f"throughput (CPU)  : {done / cpu:,.0f} households per CPU-second ({what})")
    print(f"throughput (wall) : {done / elapsed:,.0f} households/s ({what})")
    print(f"per household     : {cpu / done * 1e6:.1f} µs CPU")
    rates.sort()
    print(f"chunks            : best {rates[-1]:,.0f} /s, median {rates[len(rates) // 2]:,.0f} /s, "
          f"worst {rates[0]:,.0f} /s ({len(rates)} chunks)")
    print(f"machine reference : {calib:.2f} M dict lookups/s in a Python loop "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    if findings:
        print(f"findings/household: {findings / done:.2f}")
    print(f"peak memory (RSS) : {peak_kb / 1024:.0f} MiB (chunk of {args.chunk:,} records)")
    print("categories        : " + ", ".join(f"{k}={v:,}" for k, v in sorted(
        categories.items(), key=lambda kv: str(kv[0]))))


if __name__ == "__main__":
    main()
