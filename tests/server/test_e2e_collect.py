"""End to end with the real server process (gunicorn) playing ODK Collect and Enketo.

HEAD → 401 Digest challenge → Digest login → formList → download (MD5 = listed hash) → manifest →
media → submit with a JPEG → 201 → visible through `shoudi submissions list`; then the same through
an app-user token URL from `shoudi collect-config`, and Enketo's `formList?formID=`.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
import uuid

import pytest
import requests
from lxml import etree
from requests.auth import HTTPDigestAuth

from tests.server.helpers import JPEG, form_xml, instance_xml
from tests.server.liveserver import LiveServer, empty_database, shoudi

pytestmark = pytest.mark.slow
NS = {"x": "http://openrosa.org/xforms/xformsList", "m": "http://openrosa.org/xforms/xformsManifest"}
OR = {"X-OpenRosa-Version": "1.0", "User-Agent": "org.odk.collect.android/v2024.3.1"}


@pytest.fixture(scope="module")
def live(migrated_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    env = {"SHOUDI_DATABASE_URL": migrated_url, "SHOUDI_FSYNC": "1"}
    data = tmp / "live"
    shoudi(env, "init", "--data-dir", str(data), "--demo")
    shoudi(env, "users", "add", "e2e", "--role", "collector", "--region", "150121100201",
           "--password", "field-visit-2026", "--data-dir", str(data))
    (tmp / "visit.xml").write_bytes(form_xml())
    (tmp / "villages.csv").write_text("name,label\n150121100201,东村\n", encoding="utf-8")
    shoudi(env, "forms", "publish", str(tmp / "visit.xml"), "--media", str(tmp / "villages.csv"),
           "--data-dir", str(data))
    try:
        with LiveServer(env, data) as server:
            server.project = int(shoudi(env, "projects", "list", "--data-dir", str(data)).split()[0])
            yield server
    finally:
        empty_database(migrated_url)


def _submit(session: requests.Session, url: str, xml: bytes, files: dict[str, bytes]) -> requests.Response:
    parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    parts += [(name, (name, content, "image/jpeg")) for name, content in files.items()]
    return session.post(url, files=parts, headers=OR, timeout=30)


def test_collect_round_trip_with_password_and_token(live):
    base = live.url
    anonymous = requests.head(f"{base}/v1/projects/{live.project}/submission", headers=OR, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Digest ")

    s = requests.Session()
    s.auth = HTTPDigestAuth("e2e", "field-visit-2026")
    listing = s.get(f"{base}/v1/projects/{live.project}/formList", headers=OR, timeout=10)
    assert listing.status_code == 200 and listing.headers["X-OpenRosa-Version"] == "1.0"
    forms = {f.findtext("x:formID", namespaces=NS): f for f in etree.fromstring(listing.content).findall("x:xform", NS)}
    assert "visit" in forms and "household_survey" in forms
    entry = forms["visit"]
    download = s.get(entry.findtext("x:downloadUrl", namespaces=NS), timeout=10)
    assert download.status_code == 200
    assert "md5:" + hashlib.md5(download.content).hexdigest() == entry.findtext("x:hash", namespaces=NS)
    manifest = s.get(entry.findtext("x:manifestUrl", namespaces=NS), headers=OR, timeout=10)
    media = etree.fromstring(manifest.content).findall("m:mediaFile", NS)
    assert [m.findtext("m:filename", namespaces=NS) for m in media] == ["villages.csv"]
    csv = s.get(media[0].findtext("m:downloadUrl", namespaces=NS), timeout=10)
    assert "md5:" + hashlib.md5(csv.content).hexdigest() == media[0].findtext("m:hash", namespaces=NS)

    assert s.head(f"{base}/v1/projects/{live.project}/submission", headers=OR, timeout=10).status_code == 204
    iid = f"uuid:{uuid.uuid4()}"
    r = _submit(s, f"{base}/v1/projects/{live.project}/submission?deviceID=collect:e2e", instance_xml(iid), {"photo.jpg": JPEG})
    assert r.status_code == 201, r.text
    assert "full submission upload was successful" in r.text

    listed = [json.loads(line) for line in shoudi(live.env, "submissions", "list", "--json", "--data-dir",
                                                  str(live.data)).splitlines()]
    mine = [row for row in listed if row["instance_id"] == iid]
    assert mine and mine[0]["attachments"] == "1/1" and mine[0]["submitter"] == "e2e"
    assert "photo.jpg: present" in shoudi(live.env, "submissions", "show", iid, "--data-dir", str(live.data))

    # the server's background processor picks the submission up (the test form is not a household
    # form: no register step applies, recorded as not_applicable — stored and acknowledged, never failed)
    deadline = time.monotonic() + 60
    state = "pending"
    while state == "pending" and time.monotonic() < deadline:
        time.sleep(0.5)
        rows = [json.loads(line) for line in shoudi(live.env, "submissions", "list", "--json", "--data-dir",
                                                    str(live.data)).splitlines()]
        state = next(r["processing"] for r in rows if r["instance_id"] == iid)
    assert state == "not_applicable"

    # the same through an app-user token from collect-config
    config = json.loads(shoudi(live.env, "collect-config", "e2e", "--json", "--url", base, "--data-dir",
                               str(live.data)))
    server_url = config["general"]["server_url"]
    assert re.fullmatch(rf"{re.escape(base)}/v1/key/[A-Za-z0-9!$]{{64}}/projects/{live.project}", server_url)
    assert config["project"]["name"] and config["admin"] == {}
    token_list = requests.get(server_url + "/formList", headers=OR, timeout=10)
    assert token_list.status_code == 200 and "/v1/key/" in token_list.text
    iid2 = f"uuid:{uuid.uuid4()}"
    r = _submit(requests.Session(), server_url + "/submission", instance_xml(iid2), {"photo.jpg": JPEG})
    assert r.status_code == 201, r.text
    listed = shoudi(live.env, "submissions", "list", "--data-dir", str(live.data))
    assert iid2 in listed

    # Enketo asks for one form by id
    enketo = s.get(f"{base}/v1/projects/{live.project}/formList?formID=visit", headers=OR, timeout=10)
    assert enketo.text.count("<xform>") == 1


def test_collect_config_qr_and_payload(live, tmp_path):
    from server.collect_config import decode
    png = tmp_path / "qr.png"
    out = shoudi(live.env, "collect-config", "e2e", "--qr", str(png), "--url", live.url, "--data-dir", str(live.data))
    assert png.read_bytes().startswith(b"\x89PNG")
    payload = re.search(r"QR payload: (\S+)", out).group(1)
    config = decode(payload)
    assert config["general"]["server_url"].startswith(live.url + "/v1/key/")
    assert config["general"]["form_update_mode"] == "match_exactly"
    assert set(config) == {"general", "project", "admin"}
    # the token in the QR works, and revoking it (as printed) stops it with 403
    url = config["general"]["server_url"] + "/formList"
    assert requests.get(url, headers=OR, timeout=10).status_code == 200
    token_id = re.search(r"shoudi tokens revoke (\d+)", out).group(1)
    shoudi(live.env, "tokens", "revoke", token_id, "--data-dir", str(live.data))
    assert requests.get(url, headers=OR, timeout=10).status_code == 403


def test_background_jobs_run_under_serve(live):
    """`shoudi serve` starts the job worker: an export requested over the API finishes and downloads."""
    credentials = dict(line.split("\t")[0::2] for line in
                       (live.data / "demo-credentials.txt").read_text(encoding="utf-8").split("\n") if line)
    s = requests.Session()
    login = s.post(f"{live.url}/api/v1/session", json={"username": "county1", "password": credentials["county1"]},
                   timeout=10)
    assert login.status_code == 200, login.text
    # a demo password must be changed first (then every session ends: log in again)
    assert login.json()["must_change_password"] is True
    s.headers["Authorization"] = "Bearer " + login.json()["token"]
    refused = s.post(f"{live.url}/api/v1/exports", json={}, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "auth.password_change_required"
    changed = s.post(f"{live.url}/api/v1/me/password", timeout=10,
                     json={"current_password": credentials["county1"], "new_password": "county-e2e-Pass"})
    assert changed.status_code == 204, changed.text
    s = requests.Session()
    login = s.post(f"{live.url}/api/v1/session", json={"username": "county1", "password": "county-e2e-Pass"},
                   timeout=10)
    assert login.status_code == 200 and login.json()["must_change_password"] is False
    s.headers["Authorization"] = "Bearer " + login.json()["token"]
    started = s.post(f"{live.url}/api/v1/exports", timeout=10,
                     json={"kind": "photos", "spec": "all", "region_code": "150121000000", "full": True})
    assert started.status_code == 202, started.text
    batch_id = started.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch = s.get(f"{live.url}/api/v1/exports/{batch_id}", timeout=10).json()
        if batch["state"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert batch["state"] == "done", batch
    file = s.get(f"{live.url}/api/v1/exports/{batch_id}/file", timeout=30)
    assert file.status_code == 200 and file.content[:2] == b"PK"
