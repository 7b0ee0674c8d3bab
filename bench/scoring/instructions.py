"""Machine instructions per household of ``scoring.assess`` (load-independent), with callgrind.

    .venv/bin/python bench/scoring/instructions.py [--n 1000] [--seed 4]

Runs this file twice under ``valgrind --tool=callgrind`` (``PYTHONHASHSEED=0``): once generating
N synthetic households only, once generating and scoring them, and prints the difference per
household and which implementation ran (``SHOUDI_SCORING_PURE=1`` for the pure-Python modules).
Needs valgrind. Wall-clock timings on a shared machine vary by ±4 %; these counts do not.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
from datetime import date

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(os.path.dirname(_HERE)), _HERE]


def _workload(n: int, seed: int, score: bool) -> None:
    import scoring
    from synth import household

    rng = random.Random(seed)
    batch = [household(rng, 2021) for _ in range(n)]
    pols = [scoring.load_policy(r["region_code"][:6], 2021) for r, _ in batch]
    as_of = date(2021, 12, 20)
    scoring.assess(batch[0][0], pols[0], batch[0][1], as_of)  # warm-up in both runs
    if score:
        for (r, h), p in zip(batch, pols):
            scoring.assess(r, p, h, as_of)
    print(scoring.IMPLEMENTATION)


def _count(n: int, seed: int, score: bool) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        env = dict(os.environ, PYTHONHASHSEED="0")
        p = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             __file__, "--child", "--n", str(n), "--seed", str(seed)] + (["--score"] if score else []),
            env=env, capture_output=True, text=True, check=True)
        m = re.search(r"Collected : (\d+)", p.stderr)
        if not m:
            raise SystemExit(p.stderr[-2000:])
        return int(m.group(1)), p.stdout.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--score", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _workload(args.n, args.seed, args.score)
        return
    base, impl = _count(args.n, args.seed, False)
    scored, _ = _count(args.n, args.seed, True)
    print(f"implementation : {impl}")
    print(f"instructions   : {(scored - base) / args.n:,.0f} per household "
          f"({args.n:,} households, seed {args.seed}, callgrind)")


if __name__ == "__main__":
    main()
