"""The `shoudi` commands, run in-process against the test database."""
from __future__ import annotations

import json

from sqlalchemy import select

from server.models import AppToken, Form, User
from tests.server.conftest import PASSWORD
from tests.server.helpers import JPEG, OR, form_xml, instance_xml, multipart


def test_users_lifecycle(cli_runner, world, db_session):
    r = cli_runner("users", "add", "wang", "--role", "collector", "--region", "150121100202",
                   "--password", "another-pass-7", "--name", "王")
    assert r.exit_code == 0, r.output
    listed = cli_runner("users", "list").output
    assert "wang\tcollector\t150121100202\tactive" in listed
    assert cli_runner("users", "add", "wang", "--role", "collector", "--region", "150121100202",
                      "--password", "another-pass-7").exit_code != 0  # duplicate
    bad = cli_runner("users", "add", "li", "--role", "collector", "--region", "150121000000", "--password", "x" * 9)
    assert bad.exit_code != 0 and "village" in bad.output  # collectors sit in villages
    assert cli_runner("users", "add", "zhao", "--role", "county", "--region", "999999000000",
                      "--password", "x" * 9).exit_code != 0  # unknown region
    assert cli_runner("users", "passwd", "wang", "--password", "short").exit_code != 0
    assert cli_runner("users", "passwd", "wang", "--password", "brand-new-pass-1").exit_code == 0
    assert cli_runner("users", "bind", "wang", "150121100201").exit_code == 0
    assert cli_runner("users", "disable", "wang").exit_code == 0
    db_session.rollback()
    user = db_session.scalars(select(User).where(User.username == "wang")).one()
    assert not user.active and user.region_codes == ["150121100201", "150121100202"]


def test_disabled_user_cannot_log_in(cli_runner, world, client):
    from tests.server.helpers import DigestClient
    assert cli_runner("users", "disable", world.collector).exit_code == 0
    assert DigestClient(client, world.collector, PASSWORD).get(
        f"/v1/projects/{world.project.id}/formList").status_code == 401
    assert client.get(f"/v1/key/{world.token}/projects/{world.project.id}/formList", headers=OR).status_code == 403


def test_projects(cli_runner, world):
    assert cli_runner("projects", "add", "新项目", "--region", "150121100000").exit_code == 0
    out = cli_runner("projects", "list").output
    assert "新项目\t150121100000" in out
    assert cli_runner("projects", "add", "x", "--region", "990000000000").exit_code != 0


def test_forms_publish_list_states(cli_runner, world, tmp_path, db_session):
    xml = tmp_path / "v2.xml"
    xml.write_bytes(form_xml(version="2025010101"))
    media = tmp_path / "villages.csv"
    media.write_text("name,label\n1,一\n", encoding="utf-8")
    r = cli_runner("forms", "publish", str(xml), "--project", str(world.project.id), "--media", str(media))
    assert r.exit_code == 0 and "2025010101" in r.output
    again = cli_runner("forms", "publish", str(xml), "--project", str(world.project.id))
    assert again.exit_code == 0 and "already published" in again.output
    changed = tmp_path / "v2b.xml"
    changed.write_bytes(form_xml(version="2025010101", title="改了标题"))
    refused = cli_runner("forms", "publish", str(changed), "--project", str(world.project.id))
    assert refused.exit_code != 0 and "bump the version" in refused.output
    ambiguous = cli_runner("forms", "publish", str(xml))
    assert ambiguous.exit_code != 0 and "--project" in ambiguous.output
    assert f"{world.project.id}\tvisit\topen\t2025010101" in cli_runner("forms", "list").output
    for command, state in (("closing", "closing"), ("close", "closed"), ("open", "open")):
        assert cli_runner("forms", command, "visit", "--project", str(world.project.id)).exit_code == 0
        db_session.rollback()
        assert db_session.scalars(select(Form).where(Form.project_id == world.project.id)).one().state == state
    assert cli_runner("forms", "close", "nope", "--project", str(world.project.id)).exit_code != 0


def test_forms_publish_xlsform(cli_runner, world, tmp_path):
    from forms import build_form
    from forms.policy import FormPolicy, Village
    village = Village("150121", "土默特左旗", "150121100", "察素齐镇", "150121100201", "示范村")
    built = build_form("authorization", FormPolicy("150121", "土默特左旗", 2021, 6000, villages=(village,)))
    path = tmp_path / "authorization.xlsx"
    path.write_bytes(built.xlsx_bytes)
    r = cli_runner("forms", "publish", str(path), "--project", str(world.project.id))
    assert r.exit_code == 0, r.output
    assert "authorization" in cli_runner("forms", "list").output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    assert cli_runner("forms", "publish", str(bad), "--project", str(world.project.id)).exit_code != 0


def test_collect_config_and_tokens(cli_runner, world, client, db_session):
    r = cli_runner("collect-config", world.collector, "--json", "--url", "http://10.0.0.5:8080")
    assert r.exit_code == 0, r.output
    config = json.loads(r.output)
    url = config["general"]["server_url"]
    assert url.startswith("http://10.0.0.5:8080/v1/key/") and url.endswith(f"/projects/{world.project.id}")
    token = url.split("/key/")[1].split("/")[0]
    assert client.get(f"/v1/key/{token}/projects/{world.project.id}/formList", headers=OR).status_code == 200
    listed = cli_runner("tokens", "list").output
    assert listed.count("\tactive\t") == 2 and "collect-config cadre1" in listed  # fixture token + this one
    db_session.rollback()
    newest = max(db_session.scalars(select(AppToken)), key=lambda t: t.id)
    assert cli_runner("tokens", "revoke", str(newest.id), "--reason", "手机遗失").exit_code == 0
    assert client.get(f"/v1/key/{token}/projects/{world.project.id}/formList", headers=OR).status_code == 403
    from server.register.audit import AuditEntry
    db_session.rollback()
    [entry] = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke")).all()
    assert entry.entity_id == str(newest.id) and entry.after["via"] == "cli" and entry.after["reason"] == "手机遗失"
    assert cli_runner("tokens", "revoke", str(newest.id)).exit_code == 0   # again: nothing new to audit
    db_session.rollback()
    assert len(db_session.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke")).all()) == 1
    assert cli_runner("collect-config", "nobody", "--json").exit_code != 0
    admin = cli_runner("collect-config", world.admin, "--json", "--url", "http://x")
    assert admin.exit_code != 0 and "--project" in admin.output  # admins see every project: must choose


def test_submissions_list_and_show(cli_runner, world, collect):
    iid = "uuid:cccccccc-1111-4111-8111-111111111111"
    collect.post(f"/v1/projects/{world.project.id}/submission", data=multipart(instance_xml(iid), {"photo.jpg": JPEG}))
    rows = [json.loads(line) for line in cli_runner("submissions", "list", "--json").output.splitlines()]
    assert [(r["instance_id"], r["form"], r["attachments"], r["versions"]) for r in rows] == [(iid, "visit", "1/1", 1)]
    assert cli_runner("submissions", "list", "--form", "other").output == ""
    shown = cli_runner("submissions", "show", iid).output
    assert iid in shown and "photo.jpg: present" in shown
    assert cli_runner("submissions", "show", "uuid:none").exit_code != 0


def test_init_without_projects_says_what_to_do(cli_runner, app):
    r = cli_runner("init")
    assert r.exit_code == 0 and "projects add" in r.output
