"""Hostile input never costs more than it should and never yields a 5xx (issue #12 §4).

A corpus of inputs that once answered 500 (or worse), and a small fuzz over every GET route of the
app: each path parameter and a set of query parameters get hostile values, as an anonymous caller, an
API bearer (admin and a village collector), a console session and an app-user token; nothing may
answer 5xx. Specific cases then check the answer is the intended 4xx with a clear message.
"""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from server.models import SubmissionVersion
from tests.server.helpers import OR, instance_xml, multipart

HUGE = "99999999999999999999"
PATH_VALUES = {"int": ["0", HUGE, "2147483648"], "default": ["abc", "%00", "x" * 300, "%E4%B8%AD"],
               "path": ["abc", "%00"]}
QUERY_VALUES = [
    {"limit": "abc"}, {"limit": "-1"}, {"limit": HUGE}, {"page": "1e20"}, {"page": HUGE}, {"page": "-5"},
    {"per_page": "abc"}, {"per_page": HUGE}, {"region": "abc"}, {"region": "%00"}, {"region": "1" * 40},
    {"region_code": "abc"}, {"region_code": HUGE}, {"q": "%00"}, {"q": "a%00b"}, {"q": "%"}, {"q": "x" * 5000},
    {"status": "%00"}, {"category": "%00"}, {"kind": "%00"}, {"id": "%00"}, {"formID": "%00"},
    {"format": "%00"}, {"lang": "%00"}, {"parent": "abc"}, {"deviceID": "%00"}, {"st": "%00"},
    {"year": "abc"}, {"year": HUGE}, {"period_start": "2026-13-45"}, {"show_id": "%00"},
]
_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _paths(app) -> list[tuple[str, str]]:
    """(blueprint prefix kind, concrete path) for every GET rule, each path argument given hostile values."""
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        template = rule.rule
        args = _ARG.findall(template)
        if not args:
            out.append(template)
            continue
        for converter, _name in args:
            for value in PATH_VALUES.get(converter or "default", PATH_VALUES["default"]):
                path = template
                for conv2, name2 in args:
                    fill = value if (conv2, name2) == (converter, _name) else ("1" if conv2 == "int" else "x")
                    path = _ARG.sub(lambda m, n=name2, f=fill: f if m.group(2) == n else m.group(0), path, count=1)
                out.append(path)
    return sorted(set(out))


def _query(params: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())


def _sweep(get, paths: list[str]) -> list[tuple[str, int]]:
    failures = []
    for path in paths:
        for params in [{}] + QUERY_VALUES:
            url = path + ("?" + _query(params) if params else "")
            response = get(url)
            if response.status_code >= 500:
                failures.append((url, response.status_code))
    return failures


def test_every_get_route_answers_hostile_parameters_without_5xx(app, client, world, field, api, console):
    paths = _paths(app)
    assert len(paths) > 50
    failures = _sweep(client.get, paths)                                               # anonymous
    failures += _sweep(lambda u: api.get(u.removeprefix("/api/v1"), "admin")
                       if u.startswith("/api/v1") else client.get(u), [p for p in paths if p.startswith("/api/")])
    failures += _sweep(lambda u: api.get(u.removeprefix("/api/v1"), "collector")
                       if u.startswith("/api/v1") else client.get(u), [p for p in paths if p.startswith("/api/")])
    browser = console("county")
    failures += _sweep(browser.get, [p for p in paths if p.startswith("/console")])
    keyed = [p.replace("/v1/key/x/", f"/v1/key/{field.token}/").replace("/projects/1/", f"/projects/{field.project_id}/")
             for p in paths if p.startswith("/v1/key/")]
    failures += _sweep(lambda u: client.get(u, headers=OR), keyed)
    assert not failures, sorted({u.split('?')[0] + ' ' + u.split('?')[-1][:12] for u, _ in failures})[:60]


JSON_BODIES = ["[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 100_000,
               '{"username": "a\\u0000b", "password": "x", "name": "\\u0000", "region_code": "\\u0000"}',
               '{"username": "' + "x" * 100_000 + '"}', "not json", '"just a string"', "[]", "null",
               '{"region_code": "99999999999999999999", "id": 99999999999999999999, "page": 1e400}']


def test_every_api_write_answers_hostile_json_without_5xx(app, client, world, api):
    failures = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not rule.rule.startswith("/api/") or not methods:
            continue
        path = _ARG.sub(lambda m: "1" if m.group(1) == "int" else "x", rule.rule).removeprefix("/api/v1")
        for method in sorted(methods):
            for body in JSON_BODIES:
                for user in ("admin", "county"):
                    r = api.call(method, path, user, data=body, headers={"Content-Type": "application/json"})
                    if r.status_code >= 500:
                        failures.append((method, path, body[:30], r.status_code))
    assert not failures, failures[:40]


def test_deeply_nested_json_is_a_clear_400(client, world, api):
    r = api.post("/session", data="[" * 50_000 + "]" * 50_000, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.get_json()["message"]


def test_huge_ids_are_404_not_500(client, world, field, api):
    r = client.post(f"/v1/projects/{HUGE}/submission", headers=OR, data=multipart(instance_xml()))
    assert r.status_code == 404 and b"OpenRosaResponse" in r.data
    r = client.get(f"/v1/key/{field.token}/projects/{HUGE}/formList", headers=OR)
    assert r.status_code == 404
    assert api.get(f"/households/{HUGE}", "admin").status_code == 404


def test_nul_in_query_is_a_clear_400(client, world, field, api):
    url = f"/v1/key/{field.token}/projects/{field.project_id}/submission?deviceID=%00"
    r = client.post(url, headers=OR, data=multipart(instance_xml()))
    assert r.status_code == 400 and b"OpenRosaResponse" in r.data and b"NUL" in r.data
    r = api.get("/households?q=a%00", "county")
    assert r.status_code == 400 and "NUL" in r.get_json()["message"]


def _count(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(SubmissionVersion))


def test_instance_id_over_255_characters_is_a_clear_400(client, field, db_session):
    url = f"/v1/key/{field.token}/projects/{field.project_id}/submission"
    r = client.post(url, headers=OR, data=multipart(instance_xml("uuid:" + "a" * 300)))
    assert r.status_code == 400 and b"OpenRosaResponse" in r.data and b"instanceID" in r.data, r.data
    r = client.post(url, headers=OR, data=multipart(instance_xml("uuid:1", deprecated_id="uuid:" + "b" * 300)))
    assert r.status_code == 400 and b"deprecatedID" in r.data, r.data
    assert _count(db_session) == 0


def test_xml_part_over_the_limit_is_refused_before_it_is_buffered(app, client, field, db_session, monkeypatch):
    from server.submissions import multipart as mp
    app.config["MAX_XML_BYTES"] = 50_000
    written = []
    real = mp._Part.__init__

    def tracking(self, *a, **kw):  # noqa: ANN001, ANN002, ANN003
        real(self, *a, **kw)
        written.append(self)
    monkeypatch.setattr(mp._Part, "__init__", tracking)
    padding = "<note>" + "填" * 40_000 + "</note>"           # 120 kB of UTF-8
    xml = instance_xml().replace(b"<name>", padding.encode() + b"<name>")
    url = f"/v1/key/{field.token}/projects/{field.project_id}/submission"
    r = client.post(url, headers=OR, data=multipart(xml))
    assert r.status_code == 413 and b"OpenRosaResponse" in r.data and "上限".encode() in r.data, r.data
    assert written and written[0].size <= 50_000 + mp.READ_CHUNK   # stopped while it streamed in
    assert _count(db_session) == 0
    app.config["MAX_XML_BYTES"] = 200_000
    assert client.post(url, headers=OR, data=multipart(xml, {"photo.jpg": b"\xff" * 10})).status_code == 201


def test_gbk_declared_instance_is_received(client, field, db_session):
    """Received as sent (processing it: tests/forms/test_submission.py, Chinese encodings)."""
    xml = instance_xml(name="王大山").decode().replace('<?xml version="1.0"?>',
                                                     '<?xml version="1.0" encoding="GBK"?>').encode("gbk")
    url = f"/v1/key/{field.token}/projects/{field.project_id}/submission"
    r = client.post(url, headers=OR, data=multipart(xml))
    assert r.status_code == 201, r.data
    db_session.rollback()
    version = db_session.scalars(select(SubmissionVersion)).one()
    assert version.xml == xml and version.instance_id == "uuid:11111111-1111-4111-8111-111111111111"


FORM_VALUES = ["\x00", "a\x00b", HUGE, "-1", "1e20", "x" * 20_000, "abc", "", "<script>alert(1)</script>",
               "99999999999999999999999999999999"]


def test_every_console_write_answers_hostile_form_values_without_5xx(app, world, console):
    failures = []
    for user in ("admin", "county"):
        browser = console(user)
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/console") or "POST" not in rule.methods or "logout" in rule.rule:
                continue
            fields = {"region_code", "region", "username", "password", "role", "name", "reason", "note", "state",
                      "status", "source", "kind", "spec", "decision", "comment", "year", "floor", "display_name",
                      "page", "q", "household_id", "target", "action", "lang", "next"}
            path = _ARG.sub(lambda m: "1" if m.group(1) == "int" else "x", rule.rule)
            for value in FORM_VALUES:
                r = browser.post(path, {name: value for name in fields})
                if r.status_code >= 500:
                    failures.append((user, path, value[:12], r.status_code))
    assert not failures, failures[:40]


def test_json_depth_is_measured_outside_strings():
    from server.guards import MAX_JSON_DEPTH, json_depth_exceeds
    deep = MAX_JSON_DEPTH + 1
    assert json_depth_exceeds(b"[" * deep + b"]" * deep)
    assert not json_depth_exceeds(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert json_depth_exceeds(b'[{"a":' * 40 + b"1}]" * 40)                     # 80 levels of both kinds
    assert not json_depth_exceeds(b'{"a": "' + b"[" * 200 + b'", "b": [1, {"c": "\\\\\\""}]}')
    assert not json_depth_exceeds(b"[" + b"[1]," * 100_000 + b"[2]]")            # wide, not deep


def test_oversize_json_body_is_refused(client, world, api):
    r = api.post("/session", data=b'{"username": "' + b"x" * 2_000_000 + b'"}',
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "JSON" in r.get_json()["message"]
