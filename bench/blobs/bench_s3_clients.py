"""Which S3 client should the blob store use? CPU of *this* process per 200 KB PUT and GET, boto3 vs obstore,
against a real S3-protocol server on loopback (moto's standalone server, started here in its own process,
so its CPU is not counted). Every object is distinct random bytes; GETs read the body in chunks as the
store's streaming reads do.

    .venv/bin/python bench/blobs/bench_s3_clients.py [--count 300] [--size 200000] [--rounds 3]

Prints, per client and operation, the median over rounds of CPU ms per object (user+sys of this process,
all threads: obstore's runtime threads count) and wall ms per object.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.server.s3server import ACCESS_KEY, REGION, SECRET_KEY, S3Server  # noqa: E402


def _boto3(url: str, bucket: str):
    import boto3
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 3}))

    def put(key: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=io.BytesIO(data))

    def get(key: str) -> int:
        body, n = client.get_object(Bucket=bucket, Key=key)["Body"], 0
        while chunk := body.read(1 << 16):
            n += len(chunk)
        body.close()
        return n

    return put, get


def _obstore(url: str, bucket: str):
    import obstore
    from obstore.store import S3Store

    store = S3Store(bucket, endpoint=url, region=REGION, access_key_id=ACCESS_KEY,
                    secret_access_key=SECRET_KEY, client_options={"allow_http": True, "timeout": "30s"})

    def put(key: str, data: bytes) -> None:
        obstore.put(store, key, io.BytesIO(data))

    def get(key: str) -> int:
        n = 0
        for chunk in obstore.get(store, key).stream(min_chunk_size=1 << 16):
            n += len(chunk)
        return n

    return put, get


CLIENTS = {"boto3": _boto3, "obstore": _obstore}
if os.environ.get("BENCH_CLIENTS"):
    CLIENTS = {k: CLIENTS[k] for k in os.environ["BENCH_CLIENTS"].split(",")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with S3Server() as server:
        for rnd in range(args.rounds):
            for name, factory in CLIENTS.items():
                bucket = server.bucket()
                put, get = factory(server.url, bucket)
                put("warm", b"x"), get("warm")
                payloads = [os.urandom(args.size) for _ in range(args.count)]
                for op in ("put", "get"):
                    cpu, wall = time.process_time(), time.perf_counter()
                    for i, data in enumerate(payloads):
                        if op == "put":
                            put(f"k/{i}", data)
                        else:
                            assert get(f"k/{i}") == args.size
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    results.setdefault((name, op), []).append((cpu * 1000 / args.count, wall * 1000 / args.count))
    print(f"{args.count} objects of {args.size} B, {args.rounds} rounds, median per object "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    print(f"{'client':8} {'op':4} {'CPU ms':>8} {'wall ms':>8}")
    for (name, op), rows in results.items():
        print(f"{name:8} {op:4} {statistics.median(r[0] for r in rows):8.2f} "
              f"{statistics.median(r[1] for r in rows):8.2f}")


if __name__ == "__main__":
    main()
