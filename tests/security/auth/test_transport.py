"""Transport: `Secure` cookies and HSTS over HTTPS; X-Forwarded-* only from configured proxies (in the
app and in gunicorn), so a client cannot claim HTTPS to get Basic over plain HTTP. The real-server
version of the last attack is in tests/security/auth/test_live.py."""
from __future__ import annotations

import base64

from tests.server.conftest import PASSWORD
from tests.server.helpers import OR


def _basic(world) -> dict:  # noqa: ANN001
    token = base64.b64encode(f"{world.collector}:{PASSWORD}".encode()).decode()
    return dict(OR, Authorization="Basic " + token)


def test_secure_cookie_and_hsts_only_over_https(client, world):
    secure = client.post("/api/v1/session", json={"username": world.admin, "password": PASSWORD},
                         base_url="https://localhost")
    assert secure.status_code == 200
    assert "Secure" in secure.headers["Set-Cookie"] and "HttpOnly" in secure.headers["Set-Cookie"]
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = client.post("/api/v1/session", json={"username": world.admin, "password": PASSWORD})
    assert "Secure" not in plain.headers["Set-Cookie"] and "Strict-Transport-Security" not in plain.headers


def test_forwarded_proto_ignored_unless_from_a_trusted_proxy(app_config, world):
    from server import create_app

    app = create_app(dict(app_config, TRUST_PROXY=True, TRUSTED_PROXIES="10.9.9.9"))
    client = app.test_client()
    path = f"/v1/projects/{world.project.id}/formList"
    spoofed = client.get(path, headers=dict(_basic(world), **{"X-Forwarded-Proto": "https"}),
                         environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert spoofed.status_code == 401 and "Strict-Transport-Security" not in spoofed.headers
    proxied = client.get(path, headers=dict(_basic(world), **{"X-Forwarded-Proto": "https"}),
                         environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied.headers


def test_gunicorn_trusts_forwarded_headers_only_from_configured_proxies():
    from server.transport import gunicorn_options
    assert gunicorn_options({"TRUST_PROXY": False, "TRUSTED_PROXIES": "127.0.0.1"}) == {
        "forwarded_allow_ips": "", "secure_scheme_headers": {}}
    assert gunicorn_options({"TRUST_PROXY": True, "TRUSTED_PROXIES": "10.0.0.2, 10.0.0.3"}) == {
        "forwarded_allow_ips": "10.0.0.2,10.0.0.3"}
