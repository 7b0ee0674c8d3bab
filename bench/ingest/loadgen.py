"""Load generator for the ingest benchmark: a separate process posting submissions like ODK Collect.

Reads a JSON job on stdin ({"host", "port", "project", "tokens", "villages", "n", "c", "photo",
"photo_bytes", "seed", "survey_date"}), fetches the form like Collect (formList, then the form XML),
generates `n` distinct household instances (not timed), then posts them from `c` threads, each over
its own keep-alive connection (http.client, TCP_NODELAY; headers and body are two writes, as OkHttp
does). Prints one JSON result on stdout: per-request 201 latencies, status counts, wall-clock start
and duration, and this process's own CPU time while sending.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.ingest.bench_ingest import machine_cpu_seconds  # noqa: E402
from bench.ingest.households import generate  # noqa: E402

USER_AGENT = "org.odk.collect.android/v2024.2.4 okhttp/4.12.0 (shoudi-bench)"


def _get(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", path, headers={"X-OpenRosa-Version": "1.0", "User-Agent": USER_AGENT})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise SystemExit(f"GET {path.split('/projects')[-1]}: HTTP {resp.status}")
    return body


def fetch_form(host: str, port: int, token: str, project: int) -> bytes:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    listing = _get(conn, f"/v1/key/{token}/projects/{project}/formList").decode()
    urls = re.findall(r"<downloadUrl>([^<]*household_survey\.xml)</downloadUrl>", listing)
    if not urls:
        raise SystemExit("household_survey is not in the formList")
    path = urls[0].split(f"{port}", 1)[1]
    form = _get(conn, path)
    conn.close()
    return form


def photo_base(size: int) -> bytes:
    """A JPEG-framed blob of `size` bytes (content is random: photos do not compress)."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + os.urandom(max(0, size - 22)) + b"\xff\xd9"


def multipart(xml: bytes, photo: tuple[str, bytes] | None) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
             f"filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n".encode(), xml, b"\r\n"]
    if photo is not None:
        name, data = photo
        parts += [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n"
                  f"Content-Type: image/jpeg\r\n\r\n".encode(), data, b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def run(job: dict) -> dict:
    host, port, project, tokens = job["host"], job["port"], job["project"], job["tokens"]
    form = fetch_form(host, port, tokens[0], project)
    started = time.perf_counter()
    villages = [tuple(v) for v in job["villages"]]
    instances = generate(form, job["n"], villages, seed=job["seed"], photo=job["photo"],
                         today=date.fromisoformat(job["survey_date"]))
    gen_seconds = time.perf_counter() - started
    base_photo = photo_base(job["photo_bytes"]) if job["photo"] else b""
    # Household i is surveyed by a cadre of its village: tokens[k] serves villages[k % len(villages)].
    by_village = {v[0]: [t for k, t in enumerate(tokens) if villages[k % len(villages)][0] == v[0]] for v in villages}

    lock = threading.Lock()
    next_index = iter(range(job["n"]))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []

    def worker(w: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            _iid, xml = instances[i]
            village = villages[i % len(villages)][0]
            token = by_village[village][w % len(by_village[village])]
            photo = None
            if job["photo"]:
                photo = (f"authorization-{i}.jpg", base_photo[:-2] + i.to_bytes(8, "big") + b"\xff\xd9")
            body, ctype = multipart(b"<?xml version='1.0' ?>" + xml, photo)
            headers = {"X-OpenRosa-Version": "1.0", "Content-Type": ctype, "User-Agent": USER_AGENT,
                       "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())}
            t0 = time.perf_counter()
            try:
                conn.request("POST", f"/v1/key/{token}/projects/{project}/submission", body, headers)
                resp = conn.getresponse()
                resp.read()
                status = str(resp.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
            elapsed = time.perf_counter() - t0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == "201":
                    latencies.append(elapsed)
                elif len(errors) < 5:
                    errors.append(f"#{i}: {status}")
        conn.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(job["c"])]
    machine_busy0 = machine_cpu_seconds()   # after generating the instances: only the sending is measured
    cpu0 = os.times()
    wall0 = time.time()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    cpu1 = os.times()
    return {"machine_busy_at_start": machine_busy0, "latencies": latencies, "statuses": statuses, "errors": errors, "wall_start": wall0,
            "seconds": seconds, "client_cpu": (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system),
            "generate_seconds": gen_seconds, "xml_bytes_mean": sum(len(x) for _, x in instances) / len(instances)}


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
