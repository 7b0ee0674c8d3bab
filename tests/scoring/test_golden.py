"""Golden digest: ``assess(...).to_dict()`` for 2,000 synthetic households must not change.

The fixture ``fixtures/assess_golden.json`` was written with the scoring code as of the start of
the performance pass (before any optimisation), so a speed-up that alters any result — category,
a number, a finding, a message — fails here. Regenerate only for an intended behaviour change:
``.venv/bin/python tests/scoring/test_golden.py --write`` (and say why in the commit).
"""
from __future__ import annotations

import hashlib
import json
import random
import sys
from datetime import date
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for p in (str(_ROOT), str(_ROOT / "bench" / "scoring")):
    if p not in sys.path:
        sys.path.insert(0, p)

import scoring  # noqa: E402
from synth import household  # noqa: E402

FIXTURE = Path(__file__).with_name("fixtures") / "assess_golden.json"
N = 2000
SEED = 20261123


def _digests() -> list[str]:
    """One short SHA-256 per household, over its canonical JSON output."""
    rng = random.Random(SEED)
    policies: dict = {}
    out = []
    for i in range(N):
        year = 2021
        record, history = household(rng, year)
        code = record["region_code"][:6]
        pol = policies.get((code, year))
        if pol is None:
            pol = policies[(code, year)] = scoring.load_policy(code, year)
        # Alternate: explicit date, the record's survey date, and a record without a survey date.
        if i % 4 == 0:
            as_of = None
        elif i % 4 == 1:
            as_of = date(year, 12, 20)
        elif i % 4 == 2:
            as_of = date(year + 1, 3, 1)
        else:
            record.pop("survey_date")
            as_of = date(year, 11, 30)
        d = scoring.assess(record, pol, history, as_of).to_dict()
        text = json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        out.append(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
    return out


def test_assess_matches_golden_digest():
    golden = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert golden["n"] == N and golden["seed"] == SEED
    got = _digests()
    changed = [i for i, (a, b) in enumerate(zip(got, golden["digests"])) if a != b]
    assert not changed, f"{len(changed)} households changed, first indexes: {changed[:10]}"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    FIXTURE.write_text(json.dumps({"n": N, "seed": SEED, "digests": _digests()}, indent=0) + "\n",
                       encoding="utf-8")
    print(f"wrote {FIXTURE}")
