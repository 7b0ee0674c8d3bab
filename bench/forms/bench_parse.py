"""CPU per submission of ``forms.parse_submission`` on realistic household instances.

Run: .venv/bin/python bench/forms/bench_parse.py [--n 2000] [--rounds 5] [--legacy] [--split]
     .venv/bin/python bench/forms/bench_parse.py --instructions [--n 100] [--legacy]

Generates N distinct ``household_survey`` instances of 3–6 members (the ingest benchmark's
generator, forms/samples.py, filled into the shipped form; ≈ 9.7 KiB each), parses all of
them once to warm up, then ``--rounds`` times, and prints CPU time per instance
(``time.process_time()``: the machine is shared, wall time is noisy) as best and median round.
``--legacy`` measures the frozen pre-rewrite parser (tests/forms/legacy_submission.py) instead.
``--split`` also prints the XML parse alone (lxml, hardened parser).

``--instructions`` counts machine instructions instead (valgrind's callgrind, independent of the
other jobs on the machine): it writes the N instances to a temporary file and runs the parser over
them once and three times in two callgrind runs of this script; the difference divided by 2 × N is
the instructions per instance (start-up and imports cancel out). Asserts nothing about speed.
"""
from __future__ import annotations

import argparse
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))



def _parser(legacy: bool):
    if legacy:
        from tests.forms.legacy_submission import parse_submission
    else:
        from forms import parse_submission
    return parse_submission


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


def _instructions(args, docs: list[bytes]) -> None:
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind")
    with tempfile.NamedTemporaryFile(suffix=".pickle") as f:
        f.write(pickle.dumps(docs))
        f.flush()
        counts = []
        for loops in (1, 3):
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
                   "--docs-file", f.name, "--loops", str(loops)] + (["--legacy"] if args.legacy else [])
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
            counts.append(int(re.search(r"Collected : (\d+)", out).group(1)))
    which = "legacy (defusedxml)" if args.legacy else "forms.parse_submission"
    print(f"{which}: {len(docs)} household_survey instances under callgrind: "
          f"{(counts[1] - counts[0]) / (2 * len(docs)):,.0f} instructions per instance")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="distinct household instances (2000; 100 with --instructions)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--legacy", action="store_true", help="the pre-rewrite defusedxml parser")
    parser.add_argument("--split", action="store_true", help="also time the XML parse alone")
    parser.add_argument("--instructions", action="store_true", help="count instructions with callgrind")
    parser.add_argument("--docs-file", help=argparse.SUPPRESS)   # internal: the callgrind runs
    parser.add_argument("--loops", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.docs_file:
        parse_submission = _parser(args.legacy)
        docs = pickle.loads(Path(args.docs_file).read_bytes())
        for _ in range(args.loops):
            for data in docs:
                parse_submission(data)
        return
    from tests.forms import submission_corpus
    args.n = args.n or (100 if args.instructions else 2000)
    if args.instructions:
        _instructions(args, [data for _, data in submission_corpus.households(args.n)])
        return
    parse_submission = _parser(args.legacy)
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
