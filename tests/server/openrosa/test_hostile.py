"""Hostile or broken input never yields a 5xx: bad XML, entity tricks, broken multipart, oversize bodies."""
from __future__ import annotations

import pytest

from tests.server.helpers import OR, instance_xml, multipart

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<data id="visit" version="2024010101"><name>&lol4;</name><meta><instanceID>uuid:x</instanceID></meta></data>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<data id="visit" version="2024010101"><name>&xxe;</name><meta><instanceID>uuid:y</instanceID></meta></data>"""

XXE_PARAM = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/evil.dtd"> %ext;]>
<data id="visit" version="2024010101"><meta><instanceID>uuid:z</instanceID></meta></data>"""

UNDEFINED_ENTITY = b"""<data id="visit" version="2024010101"><name>&secret;</name></data>"""


def url(world) -> str:
    return f"/v1/projects/{world.project.id}/submission"


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, XXE, XXE_PARAM, UNDEFINED_ENTITY,
                                 b"", b"   ", b"\x00\x01\x02", b"<data id='visit'>", "<数据/>".encode("gbk"),
                                 b"<?xml version='1.0' encoding='utf-16'?><data id='visit'/>"],
                         ids=["billion-laughs", "xxe", "xxe-parameter", "undefined-entity", "empty", "blank",
                              "binary", "truncated", "gbk", "wrong-encoding"])
def test_bad_xml_is_400_and_nothing_stored(collect, world, db_session, xml):
    from sqlalchemy import func, select

    from server.models import SubmissionVersion
    r = collect.post(url(world), data=multipart(xml))
    assert r.status_code == 400, r.data
    assert b"OpenRosaResponse" in r.data and b"passwd" not in r.data and b"root:" not in r.data
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(SubmissionVersion)) == 0


def _auth(collect, world) -> dict:
    collect.head(url(world))
    return dict(OR, Authorization=collect.authorization("POST", url(world)))


@pytest.mark.parametrize("body,content_type", [
    (b"--XYZ\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; filename=\"a.xml\"\r\n\r\n<da",
     "multipart/form-data; boundary=XYZ"),
    (b"garbage without any boundary", "multipart/form-data; boundary=XYZ"),
    (b"--XYZ\r\nno headers here\r\n--XYZ--\r\n", "multipart/form-data; boundary=XYZ"),
    (b"whatever", "multipart/form-data"),
    (b"--XYZ\r\nContent-Disposition: form-data; name=\"xml_submission_file\"\r\n\r\n" + b"a" * 10 + b"\r\n--XYZ",
     "multipart/form-data; boundary=XYZ"),
], ids=["truncated", "no-boundary", "no-part-headers", "boundary-missing-in-header", "unterminated"])
def test_broken_multipart_is_4xx(client, collect, world, body, content_type):
    r = client.post(url(world), data=body, headers=dict(_auth(collect, world), **{"Content-Type": content_type}))
    assert 400 <= r.status_code < 500, (r.status_code, r.data)


@pytest.mark.parametrize("content_type", ["application/json", "text/xml", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_400(client, collect, world, content_type):
    headers = _auth(collect, world)
    if content_type:
        headers["Content-Type"] = content_type
    r = client.post(url(world), data=instance_xml(), headers=headers)
    assert r.status_code == 400 and b"xml_submission_file missing" in r.data


def test_oversize_body_is_413_with_openrosa_message(app, client, world, collect):
    app.config["MAX_CONTENT_LENGTH"] = 5000
    big = multipart(instance_xml(), {"photo.jpg": b"\xff" * 20000})
    r = collect.post(url(world), data=big)
    assert r.status_code == 413
    assert b"OpenRosaResponse" in r.data and "上限".encode() in r.data


def test_unexpected_error_is_500_without_details(app, client, world, collect, monkeypatch):
    from server.openrosa import views

    def boom(*a, **k):
        raise RuntimeError("secret 110101199003070011")
    monkeypatch.setattr(views, "receive", boom)
    r = collect.post(url(world), data=multipart(instance_xml()))
    assert r.status_code == 500 and b"110101199003070011" not in r.data


def test_huge_header_values_are_clipped(collect, world, db_session):
    r = collect.post(url(world) + "?deviceID=" + "d" * 5000, data=multipart(instance_xml()),
                     headers={"User-Agent": "u" * 5000})
    assert r.status_code == 201
