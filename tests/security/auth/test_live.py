"""The attacks of issue #12 §3 played against a real `shoudi serve` (gunicorn) process: a replayed
Digest POST header, guessing passwords until the lock, reusing a cookie and a token after logout, and
claiming HTTPS with X-Forwarded-Proto to get Basic over plain HTTP."""
from __future__ import annotations

import base64
import uuid

import pytest
import requests

from tests.server.helpers import OR, digest_authorization, form_xml, instance_xml
from tests.server.liveserver import LiveServer, empty_database, shoudi

pytestmark = pytest.mark.slow
PASSWORD = "Live-server-pass"


@pytest.fixture(scope="module")
def live(migrated_url, tmp_path_factory):  # noqa: ANN001, ANN201
    data = tmp_path_factory.mktemp("security") / "live"
    env = {"SHOUDI_DATABASE_URL": migrated_url, "SHOUDI_FSYNC": "0", "SHOUDI_PROCESSORS": "0",
           "SHOUDI_JOB_WORKERS": "0", "SHOUDI_LOGIN_MAX_FAILURES": "3", "SHOUDI_PROCESS_INLINE": "0"}
    shoudi(env, "init", "--data-dir", str(data))
    try:
        from server import create_app
        from server.accounts import create_project, create_user
        from server.db import session_scope
        from server.models import Region
        from server.publishing import publish
        from server.storage import get_blobs

        app = create_app({"DATA_DIR": str(data), "DATABASE_URL": migrated_url, "SECRET_KEY": "e2e-secret",
                          "FSYNC": False})
        with session_scope(app) as session:
            for code, parent, level, name in [("150000000000", None, "province", "内蒙古"),
                                              ("150100000000", "150000000000", "city", "呼和浩特"),
                                              ("150121000000", "150100000000", "county", "土左旗"),
                                              ("150121100000", "150121000000", "township", "察素齐镇"),
                                              ("150121100201", "150121100000", "village", "示范村")]:
                session.add(Region(code=code, parent_code=parent, level=level, name=name, vintage=2023))
                session.flush()
            project = create_project(session, "土左旗监测", "150121000000")
            for name, role, region in (("livecadre", "collector", "150121100201"),
                                       ("lockme", "collector", "150121100201"),
                                       ("livecounty", "county", "150121000000")):
                create_user(session, app, name, role=role, password=PASSWORD, region_codes=[region])
            publish(session, get_blobs(app), project, form_xml().replace(b"villages.csv", b"none.csv"))
            project_id = project.id
        app.extensions["shoudi.db"].dispose()
        with LiveServer(env, data) as server:
            server.project = project_id
            yield server
    finally:
        empty_database(migrated_url)


def _multipart(iid: str) -> dict:
    return {"xml_submission_file": ("submission.xml", instance_xml(iid, photo=None), "text/xml")}


def test_replayed_digest_post_header_cannot_submit_another_household(live):
    path = f"/v1/projects/{live.project}/submission"
    challenge = requests.head(live.url + path, headers=OR, timeout=10).headers["WWW-Authenticate"]
    header = digest_authorization(challenge, "POST", path, "livecadre", PASSWORD, nc=1)
    first = requests.post(live.url + path, files=_multipart(f"uuid:{uuid.uuid4()}"),
                          headers=dict(OR, Authorization=header), timeout=10)
    assert first.status_code == 201, first.text
    replay = requests.post(live.url + path, files=_multipart(f"uuid:{uuid.uuid4()}"),
                           headers=dict(OR, Authorization=header), timeout=10)
    assert replay.status_code == 401 and "stale=true" in replay.headers["WWW-Authenticate"]
    elsewhere = requests.get(f"{live.url}/v1/projects/{live.project}/formList",
                             headers=dict(OR, Authorization=header.replace(path, "http://x" + path)), timeout=10)
    assert elsewhere.status_code == 400


def test_guessing_passwords_locks_the_account_until_unlocked(live):
    from requests.auth import HTTPDigestAuth
    url = f"{live.url}/v1/projects/{live.project}/formList"
    for _ in range(3):
        assert requests.get(url, headers=OR, auth=HTTPDigestAuth("lockme", "Guess-number-x"), timeout=10
                            ).status_code == 401
    locked = requests.get(url, headers=OR, auth=HTTPDigestAuth("lockme", PASSWORD), timeout=10)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "lockme" in shoudi(live.env, "users", "locks", "--data-dir", str(live.data))
    shoudi(live.env, "users", "unlock", "lockme", "--data-dir", str(live.data))
    assert requests.get(url, headers=OR, auth=HTTPDigestAuth("lockme", PASSWORD), timeout=10).status_code == 200


def test_logout_then_reuse_cookie_and_token(live):
    s = requests.Session()
    login = s.post(f"{live.url}/api/v1/session", json={"username": "livecounty", "password": PASSWORD}, timeout=10)
    assert login.status_code == 200, login.text
    token, cookie = login.json()["token"], s.cookies.get("session")
    assert requests.get(f"{live.url}/api/v1/me", cookies={"session": cookie}, timeout=10).status_code == 200
    assert s.delete(f"{live.url}/api/v1/session", headers={"Authorization": f"Bearer {token}"},
                    timeout=10).status_code == 204
    assert requests.get(f"{live.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 401
    assert requests.get(f"{live.url}/api/v1/me", cookies={"session": cookie}, timeout=10).status_code == 401
    console = requests.get(f"{live.url}/console/households", cookies={"session": cookie}, timeout=10,
                           allow_redirects=False)
    assert console.status_code == 302 and "/console/login" in console.headers["Location"]


def test_claiming_https_does_not_enable_basic_over_plain_http(live):
    basic = "Basic " + base64.b64encode(f"livecadre:{PASSWORD}".encode()).decode()
    response = requests.get(f"{live.url}/v1/projects/{live.project}/formList", timeout=10,
                            headers=dict(OR, Authorization=basic, **{"X-Forwarded-Proto": "https"}))
    assert response.status_code == 401
    assert not any(v.startswith("Basic") for v in response.raw.headers.getlist("WWW-Authenticate"))
    assert "Strict-Transport-Security" not in response.headers
