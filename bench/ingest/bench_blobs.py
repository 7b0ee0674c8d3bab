"""Blob store benchmark: CPU and wall time per `put_bytes` with fsync on, in a fresh store per round.

Stores N distinct random blobs (default 2,000 of 10 KB, about an instance XML) into a new store under
the data disk's temporary directory, and prints CPU (`time.process_time`, user + system) and wall
milliseconds per blob. `--compare REV` also runs `server/storage.py` as it was at git revision REV,
alternating with the current one, so both see the same disk and load. Figures only.

  .venv/bin/python bench/ingest/bench_blobs.py --rounds 3 --compare 7a92347
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _module(path: Path, name: str):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _at_revision(rev: str, workdir: Path):  # noqa: ANN202
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:server/storage.py"], check=True,
                            capture_output=True).stdout
    path = workdir / f"storage_{rev}.py"
    path.write_bytes(source)
    return _module(path, f"storage_{rev}")


def measure(module, blobs: list[bytes], parent: str) -> tuple[float, float]:  # noqa: ANN001
    root = tempfile.mkdtemp(prefix="shoudi-blobs-", dir=parent)
    try:
        store = module.BlobStore(root, fsync=True)
        cpu, wall = time.process_time(), time.perf_counter()
        for data in blobs:
            store.put_bytes(data, md5=False)
        return ((time.process_time() - cpu) / len(blobs) * 1000, (time.perf_counter() - wall) / len(blobs) * 1000)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", metavar="REV", help="also run server/storage.py of this git revision")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the stores are made (the disk to test)")
    args = parser.parse_args()
    blobs = [os.urandom(args.kb * 1024) for _ in range(args.n)]
    with tempfile.TemporaryDirectory() as work:
        variants = [("current", _module(ROOT / "server" / "storage.py", "storage_current"))]
        if args.compare:
            variants.insert(0, (args.compare, _at_revision(args.compare, Path(work))))
        print(f"{args.n} blobs of {args.kb} KB per round, fsync on, stores under {args.dir}; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for k in range(args.rounds):
            for name, module in variants:
                cpu, wall = measure(module, blobs, args.dir)
                print(f"  round {k + 1} {name:>10}: CPU {cpu:.3f} ms/blob, wall {wall:.3f} ms/blob", flush=True)


if __name__ == "__main__":
    main()
