"""Slow and oversize clients against a real `shoudi serve` process (issue #12 §4).

Ten slowloris connections (heads or bodies trickled a byte at a time) must not make the server
unresponsive; a stalled head or body is cut off after its timeout; a body over the limit gets a 413
the client can read (it finishes sending, then reads the answer: no broken pipe, no reset).
Liveness bounds are generous (10 s): these are not speed benchmarks.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from tests.server.helpers import instance_xml
from tests.server.liveserver import LiveServer

BOUNDARY = "XYZ"


@pytest.fixture
def live(app, field):
    servers = []

    def start(threads: int = 16, **settings) -> LiveServer:
        env = {"SHOUDI_DATABASE_URL": app.config["DATABASE_URL"], "SHOUDI_SECRET_KEY": app.config["SECRET_KEY"],
               "SHOUDI_PROCESSORS": "0", "SHOUDI_JOB_WORKERS": "0", "SHOUDI_FSYNC": "0"}
        env.update({f"SHOUDI_{k}": str(v) for k, v in settings.items()})
        server = LiveServer(env, app.config["DATA_DIR"], workers=1, threads=threads).start()
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()


def _path(field) -> str:
    return f"/v1/key/{field.token}/projects/{field.project_id}/submission"


def _head(field, length: int) -> bytes:
    return (f"POST {_path(field)} HTTP/1.1\r\nHost: x\r\nX-OpenRosa-Version: 1.0\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n").encode()


def _xml_part(xml: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; filename=\"s.xml\"\r\n"
            "Content-Type: text/xml\r\n\r\n").encode() + xml


class Trickle:
    """Connections that send `first` at once, then one byte of `rest` per second."""

    def __init__(self, port: int) -> None:
        self.port, self.socks, self.stop = port, [], threading.Event()

    def open(self, first: bytes, rest: bytes) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(first)
        self.socks.append((sock, bytearray(rest)))

    def run(self) -> None:
        def loop() -> None:
            while not self.stop.wait(1.0):
                for sock, rest in self.socks:
                    if rest:
                        try:
                            sock.send(bytes(rest[:1]))
                            del rest[:1]
                        except OSError:
                            rest.clear()
        threading.Thread(target=loop, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        for sock, _ in self.socks:
            sock.close()


def _submit(server, field, iid: str) -> int:
    files = [("xml_submission_file", ("s.xml", instance_xml(iid), "text/xml"))]
    return requests.post(server.url + _path(field), headers={"X-OpenRosa-Version": "1.0"}, files=files,
                         timeout=10).status_code


def test_ten_slowloris_connections_do_not_stop_the_server(live, field):
    server = live()          # the defaults: 16 threads
    trickle = Trickle(server.port)
    body = _xml_part(instance_xml("uuid:slow")) + f"\r\n--{BOUNDARY}--\r\n".encode()
    for i in range(5):        # heads trickled: they never get a thread
        trickle.open(b"GET /healthz HTTP/1.1\r\n", b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")
    for i in range(5):        # bodies trickled, authenticated: each holds a thread while it uploads
        trickle.open(_head(field, len(body)) + body[:10], body[10:])
    trickle.run()
    try:
        time.sleep(2)
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
        assert _submit(server, field, "uuid:normal-1") == 201
        assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    finally:
        trickle.close()


def test_trickled_heads_hold_no_thread(live, field):
    server = live(threads=2)
    trickle = Trickle(server.port)
    for _ in range(10):
        trickle.open(b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-Slow: " + b"b" * 500 + b"\r\n\r\n")
    trickle.run()
    try:
        time.sleep(2)
        for _ in range(3):
            assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
        assert _submit(server, field, "uuid:normal-2") == 201
    finally:
        trickle.close()


def test_a_stalled_head_is_closed_after_the_header_timeout(live):
    server = live(HEADER_TIMEOUT=2)
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    sock.settimeout(10)
    started = time.monotonic()
    assert sock.recv(100) == b""            # closed by the server, no answer to a head never finished
    assert time.monotonic() - started < 9
    sock.close()


def test_a_stalled_body_is_answered_408(live, field):
    server = live(READ_TIMEOUT=2)
    body = _xml_part(instance_xml("uuid:stalled")) + f"\r\n--{BOUNDARY}--\r\n".encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(_head(field, len(body)) + body[:40])
    sock.settimeout(10)
    answer = b""
    while b"</OpenRosaResponse>" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408") and b"OpenRosaResponse" in answer, answer[:300]


def _send_all_then_read(port: int, head: bytes, body_size: int, first: bytes) -> tuple[int, bytes]:
    """Send a whole request like a plain client (no early read), then read the answer."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head + first)
    sent, block = len(first), b"0" * 65536
    while sent < body_size:               # raises BrokenPipe/ConnectionReset if the server resets
        sent += sock.send(block[:min(len(block), body_size - sent)])
    sock.settimeout(10)
    answer = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    sock.close()
    return sent, answer


def test_a_body_over_the_limit_gets_a_413_the_client_can_read(live, field):
    server = live(MAX_BODY_BYTES=2_000_000)
    size = 20_000_000
    sent, answer = _send_all_then_read(server.port, _head(field, size), size, _xml_part(b"<data"))
    assert sent == size
    assert answer.startswith(b"HTTP/1.1 413") and b"OpenRosaResponse" in answer and "上限".encode() in answer


def test_an_xml_part_over_the_limit_gets_a_413_the_client_can_read(live, field):
    server = live(MAX_XML_BYTES=100_000)
    size = 5_000_000
    sent, answer = _send_all_then_read(server.port, _head(field, size), size, _xml_part(b"<data id='visit'>"))
    assert sent == size
    assert answer.startswith(b"HTTP/1.1 413") and b"OpenRosaResponse" in answer and b"100000 bytes" in answer
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200


def test_an_endless_head_is_refused_431(live):
    server = live()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"p" * 70_000)
    sock.settimeout(10)
    answer = sock.recv(4096)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 431")
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
