"""Issue #12 §1 against a real `shoudi serve` process (gunicorn + its processors): cadre A of village A
tries to take over village B's household by the head's 证件号码 and to swap its signed authorization
photo; the processors hold the takeover, B's staff keep their household, A reads nothing of it, the
township rejects the held submission, and every step is in the household's audit trail."""
from __future__ import annotations

import json
import re
import time
from datetime import date

import pytest
import requests
from requests.auth import HTTPDigestAuth

from tests.server.liveserver import LiveServer, empty_database, shoudi

pytestmark = pytest.mark.slow
OR = {"X-OpenRosa-Version": "1.0", "User-Agent": "org.odk.collect.android/v2024.3.1"}
VILLAGE_A, VILLAGE_B, TOWNSHIP = "150121100201", "150121100202", "150121100000"
PASSWORD = "Live-test-passw0rd-long"
USERS = (("cadre_a", "collector", VILLAGE_A), ("cadre_b", "collector", VILLAGE_B),
         ("village_b", "village", VILLAGE_B), ("township_ab", "township", TOWNSHIP))


@pytest.fixture(scope="module")
def live(migrated_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scope")
    env = {"SHOUDI_DATABASE_URL": migrated_url, "SHOUDI_FSYNC": "1"}
    data = tmp / "live"
    shoudi(env, "init", "--data-dir", str(data), "--demo")
    for name, role, region in USERS:
        shoudi(env, "users", "add", name, "--role", role, "--region", region, "--password", PASSWORD,
               "--data-dir", str(data))
    try:
        with LiveServer(env, data) as server:
            server.project = int(shoudi(env, "projects", "list", "--data-dir", str(data)).split()[0])
            yield server
    finally:
        empty_database(migrated_url)


def _collect(name: str) -> requests.Session:
    s = requests.Session()
    s.auth = HTTPDigestAuth(name, PASSWORD)
    return s


def _api(live, name: str) -> dict:  # noqa: ANN001
    r = requests.post(f"{live.url}/api/v1/session", json={"username": name, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": "Bearer " + r.json()["token"]}


def _submit(live, who: str, xml: bytes, files: dict | None = None) -> requests.Response:  # noqa: ANN001
    parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    parts += [(n, (n, c, "image/jpeg")) for n, c in (files or {}).items()]
    return _collect(who).post(f"{live.url}/v1/projects/{live.project}/submission", files=parts, headers=OR,
                              timeout=60)


def _state(live, iid: str, until: str) -> str:  # noqa: ANN001
    deadline = time.monotonic() + 90
    state = "pending"
    while time.monotonic() < deadline:
        rows = [json.loads(line) for line in shoudi(live.env, "submissions", "list", "--json", "--data-dir",
                                                    str(live.data)).splitlines()]
        state = next((r["processing"] for r in rows if r["instance_id"] == iid), "missing")
        if state == until:
            break
        time.sleep(0.5)
    return state


def _iid(xml: bytes) -> str:
    return re.search(rb"<instanceID>([^<]+)</instanceID>", xml).group(1).decode()


def _head(xml: bytes) -> bytes:
    return re.search(rb"<head_id_number>([0-9X]+)</head_id_number>", xml).group(1)


def test_takeover_and_photo_swap_against_a_real_server(live):
    from bench.ingest.households import generate
    form = _collect("cadre_b").get(f"{live.url}/v1/projects/{live.project}/forms/household_survey.xml",
                                   timeout=30)
    assert form.status_code == 200
    [(_, b_xml)] = generate(form.content, 1, [(VILLAGE_B, "西村")], seed=31, today=date(2021, 6, 1), photo=True)
    [(_, a_xml)] = generate(form.content, 1, [(VILLAGE_A, "东村")], seed=32, today=date(2021, 6, 1))
    photo = b"\xff\xd8\xff\xe0 signed authorization of B \xff\xd9"
    assert _submit(live, "cadre_b", b_xml, {"authorization-0.jpg": photo}).status_code == 201
    assert _state(live, _iid(b_xml), "done") == "done"
    village_b = _api(live, "village_b")
    entity = re.search(rb'<entity [^>]*id="([^"]+)"', b_xml).group(1).decode()
    head_name = re.search(rb"<head_name>([^<]+)</head_name>", b_xml).group(1).decode()
    found = requests.get(f"{live.url}/api/v1/households", params={"region": VILLAGE_B, "q": head_name},
                         headers=village_b, timeout=30).json()
    [household] = [h for h in found["items"] if h["entity_id"] == entity]
    hid = household["id"]

    # cadre A submits its "own" household carrying the ID number of B's head: acknowledged, then held
    takeover = a_xml.replace(_head(a_xml), _head(b_xml))
    r = _submit(live, "cadre_a", takeover)
    assert r.status_code == 201
    assert _state(live, _iid(takeover), "held") == "held"
    again = requests.get(f"{live.url}/api/v1/households/{hid}", headers=village_b, timeout=30)
    assert again.status_code == 200 and again.json()["region_code"] == VILLAGE_B
    assert again.json()["entity_version"] == 1
    cadre_a = _api(live, "cadre_a")
    for path in ("", "/versions", "/members"):
        assert requests.get(f"{live.url}/api/v1/households/{hid}{path}", headers=cadre_a,
                            timeout=30).status_code == 404
    assert requests.get(f"{live.url}/console/households/{hid}/files/authorization-0.jpg", headers=cadre_a,
                        timeout=30).status_code == 404

    # … and tries to replace B's signed authorization photo by resending B's XML
    swap = _submit(live, "cadre_a", b_xml, {"authorization-0.jpg": b"\xff\xd8\xff\xe0 forged \xff\xd9"})
    assert swap.status_code == 403 and "<OpenRosaResponse" in swap.text
    shown = requests.get(f"{live.url}/console/households/{hid}/files/authorization-0.jpg", headers=village_b,
                         timeout=30)
    assert shown.status_code == 200 and shown.content == photo

    # the township sees the held submission and rejects it; the household's audit trail tells the story
    township = _api(live, "township_ab")
    held = requests.get(f"{live.url}/api/v1/held-submissions", headers=township, timeout=30).json()["items"]
    assert [h["household_id"] for h in held] == [hid] and held[0]["reason"] == "household_outside_submitter"
    r = requests.post(f"{live.url}/api/v1/held-submissions/{held[0]['id']}/reject",
                      json={"note": "冒用他户户主证件号码"}, headers=township, timeout=30)
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    trail = requests.get(f"{live.url}/api/v1/households/{hid}/audit?per_page=100", headers=township,
                         timeout=30).json()["items"]
    actions = [e["action"] for e in trail]
    assert {"submission.hold", "attachment.refused", "submission.reject"} <= set(actions)
    assert _head(b_xml).decode() not in json.dumps(trail)
