"""OpenRosa routes against shared/openrosa.md §0–§4 (formList, download, manifest, media, auth)."""
from __future__ import annotations

import base64
import hashlib
import re

from lxml import etree

from tests.server.conftest import PASSWORD
from tests.server.helpers import OR, DigestClient, digest_authorization, form_xml

NS = {"x": "http://openrosa.org/xforms/xformsList", "m": "http://openrosa.org/xforms/xformsManifest"}


def test_no_credentials_gets_401_with_digest_challenge(client, world):
    r = client.get(f"/v1/projects/{world.project.id}/formList", headers=OR)
    assert r.status_code == 401
    challenges = r.headers.getlist("WWW-Authenticate")
    assert len(challenges) == 1 and challenges[0].startswith("Digest ")
    assert 'qop="auth"' in challenges[0] and "algorithm=MD5" in challenges[0]
    assert 'domain="/v1/"' in challenges[0] and "opaque=" in challenges[0]
    assert b"OpenRosaResponse" in r.data


def test_basic_is_offered_only_over_https(client, world):
    r = client.get(f"/v1/projects/{world.project.id}/formList", headers=OR, base_url="https://localhost")
    schemes = [c.split(" ")[0] for c in r.headers.getlist("WWW-Authenticate")]
    assert schemes == ["Digest", "Basic"]
    basic = "Basic " + base64.b64encode(f"{world.collector}:{PASSWORD}".encode()).decode()
    assert client.get(f"/v1/projects/{world.project.id}/formList", headers=dict(OR, Authorization=basic),
                      base_url="https://localhost").status_code == 200
    plain = client.get(f"/v1/projects/{world.project.id}/formList", headers=dict(OR, Authorization=basic))
    assert plain.status_code == 401
    assert "HTTPS" in plain.data.decode()


def test_basic_wrong_password_is_401(client, world):
    basic = "Basic " + base64.b64encode(f"{world.collector}:wrong-password".encode()).decode()
    r = client.get(f"/v1/projects/{world.project.id}/formList", headers=dict(OR, Authorization=basic),
                   base_url="https://localhost")
    assert r.status_code == 401


def test_digest_login_and_wrong_password(client, world):
    ok = DigestClient(client, world.collector, PASSWORD)
    assert ok.get(f"/v1/projects/{world.project.id}/formList").status_code == 200
    bad = DigestClient(client, world.collector, "not-the-password")
    assert bad.get(f"/v1/projects/{world.project.id}/formList").status_code == 401


def test_digest_stale_nonce_is_flagged_stale(client, world, app):
    from server.auth import digest
    old = digest.make_nonce(app.config["SECRET_KEY"], now=1_000_000)
    challenge = (f'Digest realm="shoudi", qop="auth", nonce="{old}", '
                 f'opaque="{digest.opaque(app.config["SECRET_KEY"], "shoudi")}"')
    path = f"/v1/projects/{world.project.id}/formList"
    auth = digest_authorization(challenge, "GET", path, world.collector, PASSWORD)
    r = client.get(path, headers=dict(OR, Authorization=auth))
    assert r.status_code == 401
    assert "stale=true" in r.headers["WWW-Authenticate"]


def test_digest_forged_nonce_is_refused(client, world):
    challenge = 'Digest realm="shoudi", qop="auth", nonce="9999999999.deadbeef", opaque="x"'
    path = f"/v1/projects/{world.project.id}/formList"
    r = client.get(path, headers=dict(OR, Authorization=digest_authorization(challenge, "GET", path,
                                                                             world.collector, PASSWORD)))
    assert r.status_code == 401 and "stale" not in r.headers["WWW-Authenticate"]


def test_missing_openrosa_version_header_is_400(collect, client, world):
    collect.get(f"/v1/projects/{world.project.id}/formList")  # obtain a challenge
    r = client.get(f"/v1/projects/{world.project.id}/formList")
    assert r.status_code == 400
    assert "X-OpenRosa-Version" in r.data.decode()


def test_form_list_document(collect, world):
    r = collect.get(f"/v1/projects/{world.project.id}/formList")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/xml")
    assert r.headers["X-OpenRosa-Version"] == "1.0"
    root = etree.fromstring(r.data)
    forms = root.findall("x:xform", NS)
    assert [f.findtext("x:formID", namespaces=NS) for f in forms] == ["visit"]
    f = forms[0]
    assert f.findtext("x:name", namespaces=NS) == "入户调查"
    assert f.findtext("x:version", namespaces=NS) == "2024010101"
    assert f.findtext("x:hash", namespaces=NS) == "md5:" + hashlib.md5(form_xml()).hexdigest()
    assert f.findtext("x:downloadUrl", namespaces=NS) == f"http://localhost/v1/projects/{world.project.id}/forms/visit.xml"
    assert f.findtext("x:manifestUrl", namespaces=NS).endswith("/forms/visit/manifest")


def test_form_list_form_id_filter(collect, world):
    assert b"<formID>visit</formID>" in collect.get(f"/v1/projects/{world.project.id}/formList?formID=visit").data
    r = collect.get(f"/v1/projects/{world.project.id}/formList?formID=nope")
    assert r.status_code == 200 and b"<xform>" not in r.data


def test_collector_of_another_county_sees_an_empty_list(client, world):
    outsider = DigestClient(client, world.outsider, PASSWORD)
    r = outsider.get(f"/v1/projects/{world.project.id}/formList")
    assert r.status_code == 200 and b"<xform>" not in r.data
    assert b"other_visit" in outsider.get(f"/v1/projects/{world.other_project.id}/formList").data


def test_unknown_project_is_404(collect):
    assert collect.get("/v1/projects/999/formList").status_code == 404


def test_download_hash_matches_form_list(collect, world):
    listing = collect.get(f"/v1/projects/{world.project.id}/formList").data.decode()
    md5 = re.search(r"md5:([0-9a-f]{32})", listing).group(1)
    r = collect.get(f"/v1/projects/{world.project.id}/forms/visit.xml")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/xml")
    assert hashlib.md5(r.data).hexdigest() == md5
    assert r.data == form_xml()


def test_closed_and_closing_forms_are_not_listed(collect, world, db_session):
    from server.models import Form
    form = db_session.query(Form).filter_by(xml_form_id="visit").one()
    for state in ("closing", "closed"):
        form.state = state
        db_session.commit()
        assert b"<xform>" not in collect.get(f"/v1/projects/{world.project.id}/formList").data


def test_manifest_and_media_with_etag(collect, world):
    r = collect.get(f"/v1/projects/{world.project.id}/forms/visit/manifest")
    assert r.status_code == 200 and r.headers["X-OpenRosa-Version"] == "1.0"
    root = etree.fromstring(r.data)
    files = root.findall("m:mediaFile", NS)
    assert [f.findtext("m:filename", namespaces=NS) for f in files] == ["villages.csv"]
    url = files[0].findtext("m:downloadUrl", namespaces=NS)
    md5 = files[0].findtext("m:hash", namespaces=NS).removeprefix("md5:")
    path = url.removeprefix("http://localhost")
    media = collect.get(path)
    assert media.status_code == 200
    assert hashlib.md5(media.data).hexdigest() == md5
    assert media.headers["ETag"] == f'"{md5}"'
    assert "filename*=UTF-8''villages.csv" in media.headers["Content-Disposition"]
    again = collect.get(path, headers={"If-None-Match": f'"{md5}"'})
    assert again.status_code == 304 and again.data == b""


def test_unknown_media_is_404(collect, world):
    assert collect.get(f"/v1/projects/{world.project.id}/forms/visit/attachments/nope.csv").status_code == 404


def test_token_urls(client, world):
    base = f"/v1/key/{world.token}/projects/{world.project.id}"
    r = client.get(base + "/formList", headers=OR)
    assert r.status_code == 200
    assert f"/v1/key/{world.token}/projects/{world.project.id}/forms/visit.xml" in r.data.decode()
    assert client.get(base + "/forms/visit.xml").status_code == 200
    # the token is bound to its project
    assert client.get(f"/v1/key/{world.token}/projects/{world.other_project.id}/formList",
                      headers=OR).data.count(b"<xform>") == 0


def test_token_via_st_parameter_rewrites_urls(client, world):
    r = client.get(f"/v1/projects/{world.project.id}/formList?st={world.token}", headers=OR)
    assert r.status_code == 200
    assert f"/v1/key/{world.token}/projects/" in r.data.decode()


def test_malformed_token_401_unknown_token_403(client, world):
    assert client.get(f"/v1/key/short/projects/{world.project.id}/formList", headers=OR).status_code == 401
    unknown = "A" * 64
    assert client.get(f"/v1/key/{unknown}/projects/{world.project.id}/formList", headers=OR).status_code == 403


def test_revoked_token_is_403(client, world, db_session):
    from server.accounts import revoke_token
    from server.models import AppToken
    revoke_token(db_session, db_session.query(AppToken).one().id)
    db_session.commit()
    assert client.get(f"/v1/key/{world.token}/projects/{world.project.id}/formList", headers=OR).status_code == 403


def test_public_url_setting_is_used_in_documents(app_config, migrated_url):
    from server import create_app
    app_config["PUBLIC_URL"] = "https://survey.example.gov.cn/"
    app = create_app(app_config)
    assert app.config["PUBLIC_URL"] == "https://survey.example.gov.cn"
    app.extensions["shoudi.db"].dispose()


def test_responses_carry_a_request_id(client):
    r = client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert r.status_code == 200 and r.headers["X-Request-Id"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", generated)
