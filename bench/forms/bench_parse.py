"""CPU per submission of ``forms.parse_submission`` on realistic household instances.

Run: .venv/bin/python bench/forms/bench_parse.py [--n 2000] [--rounds 5] [--legacy]

Generates N distinct ``household_survey`` instances of 3–6 members (the ingest benchmark's
generator, bench/ingest/households.py, filled into the shipped form; ≈ 9.7 KiB each), parses all of
them once to warm up, then ``--rounds`` times, and prints CPU time per instance
(``time.process_time()``: the machine is shared, wall time is noisy) as best and median round.
``--legacy`` measures the frozen pre-rewrite parser (tests/forms/legacy_submission.py) instead.
``--split`` also prints the XML parse alone (lxml, hardened parser). Asserts nothing about speed.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.forms import submission_corpus  # noqa: E402


def _rounds(fn, docs: list[bytes], rounds: int) -> list[float]:
    for data in docs:
        fn(data)
    out = []
    for _ in range(rounds):
        start = time.process_time()
        for data in docs:
            fn(data)
        out.append((time.process_time() - start) / len(docs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="distinct household instances")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--legacy", action="store_true", help="the pre-rewrite defusedxml parser")
    parser.add_argument("--split", action="store_true", help="also time the XML parse alone")
    args = parser.parse_args()
    if args.legacy:
        from tests.forms.legacy_submission import parse_submission
    else:
        from forms import parse_submission
    docs = [data for _, data in submission_corpus.households(args.n)]
    size = sum(map(len, docs)) / len(docs)
    members = sum(data.count(b"<member>") for data in docs) / len(docs)
    per = _rounds(parse_submission, docs, args.rounds)
    which = "legacy (defusedxml)" if args.legacy else "forms.parse_submission"
    print(f"{which}: {len(docs)} household_survey instances, {size / 1024:.1f} KiB and {members:.1f} members "
          f"on average, {args.rounds} rounds")
    print(f"  CPU per instance: best {min(per) * 1e3:.3f} ms, median {statistics.median(per) * 1e3:.3f} ms "
          f"({1 / min(per):.0f} instances per CPU-second)")
    if args.split:
        from lxml import etree
        xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                     remove_comments=True, remove_pis=True, collect_ids=False)
        per = _rounds(lambda data: etree.fromstring(data, xml_parser), docs, args.rounds)
        print(f"  of which lxml fromstring alone: best {min(per) * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
