"""ODK Collect project settings and the QR code Collect scans (JSON → zlib → base64 → QR level L)."""
from __future__ import annotations

import base64
import json
import socket
import zlib


def settings(server_url: str, project_name: str) -> dict:
    """Managed app-user settings as ODK Central builds them (shared/openrosa.md §4)."""
    return {
        "general": {"server_url": server_url, "form_update_mode": "match_exactly",
                    "autosend": "wifi_and_cellular"},
        "project": {"name": project_name},
        "admin": {},
    }


def encode(config: dict) -> str:
    """The QR payload: base64 of the zlib-deflated JSON."""
    raw = json.dumps(config, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def decode(payload: str) -> dict:
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))


def qr(payload: str):  # noqa: ANN201
    import segno
    return segno.make(payload, error="l", micro=False)


def guess_base_url(port: int = 8080) -> str:
    """http://<this machine's LAN address>:port — what a phone on the same network can reach."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(("10.255.255.255", 1))  # no packet is sent; this only picks the outgoing interface
        address = sock.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
    finally:
        sock.close()
    return f"http://{address}:{port}"
