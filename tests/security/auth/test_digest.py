"""HTTP Digest: increasing nonce counts kept server-side, nonces bound to their path and expiring,
captured headers good for nothing else (another body, another path, an absolute `uri`), and form ids
that need URL encoding (#19: Chinese, spaces, reserved characters)."""
from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest

from server.publishing import MediaFile, publish
from server.storage import get_blobs
from tests.server.conftest import PASSWORD
from tests.server.helpers import OR, DigestClient, digest_authorization, form_xml, instance_xml, multipart


def _challenge(client, path: str) -> str:  # noqa: ANN001
    response = client.head(path, headers=OR)
    assert response.status_code == 401
    return next(v for v in response.headers.getlist("WWW-Authenticate") if v.startswith("Digest"))


def _post(client, path: str, authorization: str, iid: str):  # noqa: ANN001, ANN202
    return client.post(path, data=multipart(instance_xml(iid)), content_type="multipart/form-data",
                       headers=dict(OR, Authorization=authorization))


def test_captured_post_header_cannot_submit_another_body(client, world):
    """The attack of issue #12: one captured POST header replayed for new households."""
    path = f"/v1/projects/{world.project.id}/submission"
    challenge = _challenge(client, path)
    header = digest_authorization(challenge, "POST", path, world.collector, PASSWORD, nc=1)
    assert _post(client, path, header, "uuid:aaaaaaaa-0000-4000-8000-000000000001").status_code == 201
    replay = _post(client, path, header, "uuid:aaaaaaaa-0000-4000-8000-000000000002")
    assert replay.status_code == 401 and "stale=true" in replay.headers["WWW-Authenticate"]
    # nor another path
    listing = f"/v1/projects/{world.project.id}/formList"
    assert client.get(listing, headers=dict(OR, Authorization=header)).status_code == 400
    # Collect's own retry: the same nonce with nc + 1 is fine
    retry = digest_authorization(challenge, "POST", path, world.collector, PASSWORD, nc=2)
    assert _post(client, path, retry, "uuid:aaaaaaaa-0000-4000-8000-000000000003").status_code == 201


def test_nonce_counts_must_increase(client, world):
    path = f"/v1/projects/{world.project.id}/formList"
    challenge = _challenge(client, path)

    def get(nc: int) -> int:
        return client.get(path, headers=dict(OR, Authorization=digest_authorization(
            challenge, "GET", path, world.collector, PASSWORD, nc=nc))).status_code
    assert get(5) == 200
    assert get(5) == 401 and get(3) == 401
    assert get(6) == 200


def test_nonce_is_bound_to_the_path_it_was_issued_for(client, world):
    listing = f"/v1/projects/{world.project.id}/formList"
    manifest = f"/v1/projects/{world.project.id}/forms/visit/manifest"
    challenge = _challenge(client, listing)
    moved = client.get(manifest, headers=dict(OR, Authorization=digest_authorization(
        challenge, "GET", manifest, world.collector, PASSWORD)))
    assert moved.status_code == 401 and "stale=true" in moved.headers["WWW-Authenticate"]
    # a Collect-like client just retries with the fresh nonce
    assert DigestClient(client, world.collector, PASSWORD).get(manifest).status_code == 200


@pytest.mark.parametrize("uri", [
    "http://localhost/v1/projects/{other}/formList",            # absolute, another path
    "http://evil.example/v1/projects/{pid}/formList",           # absolute, another host
    "https://localhost/elsewhere",
])
def test_absolute_uri_is_checked_too(client, world, uri):
    path = f"/v1/projects/{world.project.id}/formList"
    uri = uri.format(pid=world.project.id, other=world.other_project.id)
    challenge = _challenge(client, path)
    header = digest_authorization(challenge, "GET", uri, world.collector, PASSWORD)
    assert client.get(path, headers=dict(OR, Authorization=header)).status_code == 400
    # the absolute URI of this very request (older okhttp-digest in Collect sends those) is fine
    header = digest_authorization(challenge, "GET", "http://localhost" + path, world.collector, PASSWORD, nc=2)
    assert client.get(path, headers=dict(OR, Authorization=header)).status_code == 200


def test_nonce_use_is_shared_by_every_app_instance(client, app_config, world):
    from server import create_app

    path = f"/v1/projects/{world.project.id}/formList"
    header = digest_authorization(_challenge(client, path), "GET", path, world.collector, PASSWORD)
    assert client.get(path, headers=dict(OR, Authorization=header)).status_code == 200
    other = create_app(dict(app_config)).test_client()
    assert other.get(path, headers=dict(OR, Authorization=header)).status_code == 401


def test_expired_nonce_is_stale(client, world, app):
    from server.auth import digest
    path = f"/v1/projects/{world.project.id}/formList"
    old = digest.make_nonce(app.config["SECRET_KEY"], path, now=1_000_000)
    challenge = f'Digest realm="shoudi", qop="auth", nonce="{old}", opaque="{digest.opaque("test-secret", "shoudi")}"'
    response = client.get(path, headers=dict(OR, Authorization=digest_authorization(
        challenge, "GET", path, world.collector, PASSWORD)))
    assert response.status_code == 401 and "stale=true" in response.headers["WWW-Authenticate"]


# --- #19: form ids that need URL encoding ---------------------------------------------------------

FORM_IDS = ["Flat test", "住户调查_ü", "a&b=c;d+e,f'(g)!@$"]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_digest_with_form_ids_that_need_encoding(app, client, world, db_session, form_id):
    from server.models import Project
    project = db_session.get(Project, world.project.id)
    xform = form_xml(form_id=escape(form_id, {"'": "&apos;"}), version="7").replace(b"villages.csv", "村名单.csv".encode())
    publish(db_session, get_blobs(app), project, xform, media=[MediaFile("村名单.csv", "name,label\n1,甲\n".encode())])
    db_session.commit()
    collect = DigestClient(client, world.collector, PASSWORD)
    base = f"/v1/projects/{world.project.id}/forms/{quote(form_id, safe='')}"
    download = collect.get(base + ".xml")
    assert download.status_code == 200, download.data
    manifest = collect.get(base + "/manifest")
    assert manifest.status_code == 200 and "村名单.csv".encode() in manifest.data
    assert collect.get(base + "/attachments/" + quote("村名单.csv", safe="")).data == "name,label\n1,甲\n".encode()
    xml = instance_xml("uuid:bbbbbbbb-0000-4000-8000-00000000000" + str(FORM_IDS.index(form_id)),
                       form_id=escape(form_id, {"'": "&apos;"}), version="7")
    submitted = collect.post(f"/v1/projects/{world.project.id}/submission", multipart(xml, {"photo.jpg": b"\xff\xd8x"}))
    assert submitted.status_code == 201, submitted.data
