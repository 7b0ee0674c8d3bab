"""Admin pages: users (add, disable, region bindings — audited) and forms (open/closing/closed)."""
from __future__ import annotations

from server.models import Form, User
from server.register.models import AuditEntry


def _fresh(db_session) -> None:  # noqa: ANN001
    db_session.commit()
    db_session.expire_all()


def test_admin_adds_a_user_who_can_then_log_in(as_user, browser, db_session, fast_hash):
    b = as_user("admin")
    response = b.post("/console/users", {"username": "zhang.reviewer", "display_name": "张审核", "role": "township",
                                        "region_codes": "150121100000", "password": "Str0ng-pass!"})
    assert response.status_code == 302
    page = b.page("/console/users")
    row = page.xpath("//tr[td[1]='zhang.reviewer']")[0]
    assert "张审核" in row.text_content() and "察素齐镇" in row.text_content()
    _fresh(db_session)
    entry = db_session.query(AuditEntry).filter_by(action="user.create").one()
    assert entry.after["regions"] == ["150121100000"] and "password" not in str(entry.after)
    browser.get("/console/login")
    assert browser.post("/console/login", {"username": "zhang.reviewer", "password": "Str0ng-pass!"}).status_code == 302


def test_invalid_user_is_explained(as_user, db_session):
    b = as_user("admin")
    response = b.post("/console/users", {"username": "x y", "role": "county", "region_codes": "150121000000",
                                         "password": "Str0ng-pass!"})
    assert response.status_code == 422 and "用户名只能包含" in response.data.decode()   # on the same page
    assert "username may only" not in response.data.decode()                          # Chinese only
    response = b.post("/console/users", {"username": "weak", "role": "county", "region_codes": "150121000000",
                                         "password": "1"})
    assert "密码至少" in response.data.decode()
    _fresh(db_session)
    assert db_session.query(User).filter(User.username.in_(("x y", "weak"))).count() == 0


def test_disable_and_rebind(as_user, db_session, world):
    b = as_user("admin")
    target = world.users["township_other"]
    b.post(f"/console/users/{target.id}/regions", {"region_codes": "150121101000 150121100000"})
    _fresh(db_session)
    assert sorted(db_session.get(User, target.id).region_codes) == ["150121100000", "150121101000"]
    b.post(f"/console/users/{target.id}/regions", {"region_codes": "150121100000"})
    _fresh(db_session)
    assert db_session.get(User, target.id).region_codes == ["150121100000"]
    assert db_session.query(AuditEntry).filter_by(action="user.regions").count() == 2
    b.post(f"/console/users/{target.id}/regions", {"region_codes": "999999999999"})
    assert "区划不存在" in b.page("/console/users").text_content()

    b.post(f"/console/users/{target.id}/disable")                      # 停用 is confirmed, with a reason
    b.post(f"/console/users/{target.id}/disable", {"reason": "调离"})
    b.post(f"/console/users/{target.id}/disable", {"confirm": "1"})
    _fresh(db_session)
    assert db_session.get(User, target.id).active is True
    assert "须填写原因并勾选确认" in b.page("/console/users").text_content()
    b.post(f"/console/users/{target.id}/disable", {"reason": "调离", "confirm": "1"})
    _fresh(db_session)
    assert db_session.get(User, target.id).active is False
    assert db_session.query(AuditEntry).filter_by(action="user.update").one().after == {"active": False,
                                                                                       "reason": "调离"}
    admin = world.users["admin"]
    b.post(f"/console/users/{admin.id}/disable", {"reason": "x", "confirm": "1"})
    _fresh(db_session)
    assert db_session.get(User, admin.id).active is True


def test_county_sees_users_of_its_county_read_only(as_user):
    page = as_user("county").page("/console/users")
    names = {td.text for td in page.xpath("//tbody/tr/td[1]")}
    assert "township" in names and "county_other" not in names and "admin" not in names
    assert not page.xpath("//form")[1:]                          # only the logout form
    b = as_user("county")
    b.get("/console/users")
    assert b.post("/console/users", {"username": "n1", "role": "county", "region_codes": "150121000000",
                                     "password": "Str0ng-pass!"}).status_code == 403


def test_forms_list_and_state_change(as_user, households, db_session):
    form_id = households.form.id
    db_session.commit()
    b = as_user("admin")
    page = b.page("/console/forms")
    row = page.xpath("//tr[td[2]='household_survey']")[0]
    assert "开放" in row.text_content()
    b.post(f"/console/forms/{form_id}/state", {"state": "closing"})
    _fresh(db_session)
    assert db_session.get(Form, form_id).state == "closing"
    b.post(f"/console/forms/{form_id}/state", {"state": "gone"})
    _fresh(db_session)
    assert db_session.get(Form, form_id).state == "closing"
    assert "unknown form state" in b.page("/console/forms").text_content()


def test_county_turns_on_encryption_unlocks_and_locks(as_user, db_session, world, app):
    """The encryption page: county staff of the project's region turn it on, unlock, lock (audited);
    a township user may not reach it."""
    from server.accounts import create_project
    from server.encryption import KeyUnlock, ProjectKey
    project = create_project(db_session, "土左旗加密", "150121000000")
    create_project(db_session, "托县", "150122000000")
    db_session.commit()
    b = as_user("county")
    page = b.page("/console/encryption")
    assert [r.get("data-project") for r in page.xpath("//tr[@data-project]")] == [str(project.id)]
    b.post(f"/console/encryption/{project.id}/encrypt", {"passphrase": "县里的口令一二三四五", "confirm": "不一样的口令一二三四"})
    assert "不一致" in b.page("/console/encryption").text_content()
    b.post(f"/console/encryption/{project.id}/encrypt", {"passphrase": "县里的口令一二三四五", "confirm": "县里的口令一二三四五"})
    assert "已启用加密" in b.page("/console/encryption").text_content()
    b.post(f"/console/encryption/{project.id}/unlock", {"passphrase": "wrong passphrase!!", "minutes": "30"})
    assert "口令不正确" in b.page("/console/encryption").text_content()
    b.post(f"/console/encryption/{project.id}/unlock", {"passphrase": "县里的口令一二三四五", "minutes": "30"})
    assert "密钥解锁至" in b.page("/console/encryption").text_content()
    _fresh(db_session)
    assert db_session.query(ProjectKey).count() == 1 and db_session.query(KeyUnlock).count() == 1
    b.post(f"/console/encryption/{project.id}/lock")
    _fresh(db_session)
    assert db_session.query(KeyUnlock).count() == 0
    actions = [e.action for e in db_session.query(AuditEntry).filter_by(entity_type="project_key").order_by(AuditEntry.id)]
    assert actions == ["key.create", "key.unlock_failed", "key.unlock", "key.lock"]
    assert as_user("township").page("/console/encryption", status=403) is not None
    other = as_user("county_other")
    assert other.post(f"/console/encryption/{project.id}/unlock",
                      {"passphrase": "县里的口令一二三四五", "minutes": "30"}).status_code == 404


# -- §6 admin without the command line: device tokens, re-enable, the form keeps what was typed ----------

def _collector(world):  # noqa: ANN001, ANN202
    return next(u for u in world.users.values() if u.role == "collector")


def test_admin_issues_a_device_token_with_its_qr_code_and_revokes_it(as_user, app, db_session, world, households):
    db_session.commit()
    import base64
    import re

    from server import collect_config as cc
    from server.models import AppToken
    collector = _collector(world)
    b = as_user("admin")
    page = b.page("/console/tokens")
    project_id = page.xpath("//select[@name='project_id']/option/@value")[0]
    response = b.post("/console/tokens", {"user_id": str(collector.id), "project_id": project_id, "label": "红米 手机"})
    assert response.status_code == 200
    body = response.data.decode()
    src = re.search(r'<img class="qr-code" src="data:image/png;base64,([^"]+)"', body)
    assert src and base64.b64decode(src.group(1)).startswith(b"\x89PNG")
    url = re.search(r'<span class="mono break">([^<]+)</span>', body).group(1)
    assert url.startswith("http://localhost/v1/key/") and url.endswith(f"/projects/{project_id}")
    assert "手机无法访问" in body and "SHOUDI_PUBLIC_URL" in body                                   # loopback address: a clear warning
    token = url.split("/v1/key/")[1].split("/")[0]
    # the token works on the OpenRosa path, and it is nowhere but on this one response
    client = app.test_client()
    form_list = client.get(f"/v1/key/{token}/projects/{project_id}/formList",
                           headers={"X-OpenRosa-Version": "1.0"})
    assert form_list.status_code == 200
    assert token not in b.get("/console/tokens").data.decode()
    _fresh(db_session)
    row = db_session.query(AppToken).filter_by(user_id=collector.id).one()
    assert row.label == "红米 手机" and row.revoked_at is None
    entry = db_session.query(AuditEntry).filter_by(action="token.issue").one()
    assert entry.after["user"] == collector.username and token not in str(entry.after)
    listing = b.page("/console/tokens")
    assert "红米 手机" in listing.xpath("//table[@class='data']")[0].text_content()

    b.post(f"/console/tokens/{row.id}/revoke", {"reason": "手机丢失"})       # negative: needs the confirmation
    _fresh(db_session)
    assert db_session.get(AppToken, row.id).revoked_at is None
    b.post(f"/console/tokens/{row.id}/revoke", {"reason": "手机丢失", "confirm": "1"})
    _fresh(db_session)
    assert db_session.get(AppToken, row.id).revoked_at is not None
    assert db_session.query(AuditEntry).filter_by(action="token.revoke").one().after["reason"] == "手机丢失"
    assert client.get(f"/v1/key/{token}/projects/{project_id}/formList",
                      headers={"X-OpenRosa-Version": "1.0"}).status_code in (401, 403)
    assert cc.decode(cc.encode({"a": 1})) == {"a": 1}


def test_tokens_page_is_for_admins_only(as_user, world):
    collector = _collector(world)
    for name in ("county", "township"):
        b = as_user(name)
        assert b.get("/console/tokens").status_code == 403
        assert b.post("/console/tokens", {"user_id": str(collector.id), "project_id": "1"}).status_code == 403


def test_token_for_a_project_outside_the_users_regions_is_refused(as_user, db_session, world):
    from server.models import AppToken, Project, utcnow
    collector = _collector(world)
    other = Project(name="别的旗", region_code="150122000000", created_at=utcnow())
    db_session.add(other)
    db_session.commit()
    b = as_user("admin")
    response = b.post("/console/tokens", {"user_id": str(collector.id), "project_id": str(other.id)})
    assert response.status_code == 422 and "没有可访问的项目" in response.data.decode()
    _fresh(db_session)
    assert db_session.query(AppToken).filter_by(project_id=other.id).count() == 0


def test_disabled_user_is_re_enabled_with_audit_and_tokens_revoked(as_user, app, db_session, world, households):
    from server.accounts import issue_token, projects_for
    from server.models import AppToken
    collector = db_session.get(User, _collector(world).id)
    issued = issue_token(db_session, collector, projects_for(db_session, collector)[0], "phone")
    db_session.commit()
    b = as_user("admin")
    b.post(f"/console/users/{collector.id}/disable", {"reason": "调离", "confirm": "1"})
    page = b.page("/console/users")
    assert page.xpath(f"//form[@action='/console/users/{collector.id}/enable']")
    b.post(f"/console/users/{collector.id}/enable", {})
    _fresh(db_session)
    assert db_session.get(User, collector.id).active is True
    assert db_session.get(AppToken, issued.row.id).revoked_at is not None
    entry = db_session.query(AuditEntry).filter_by(action="user.update").order_by(AuditEntry.id.desc()).first()
    assert entry.after["active"] is True and entry.after["tokens_revoked"] == [issued.row.id]
    assert "已重新启用" in b.page("/console/users").text_content()
    b.post(f"/console/users/{collector.id}/enable", {})                       # already active: explained
    assert "未被停用" in b.page("/console/users").text_content()


def test_user_form_keeps_what_was_typed_on_error_and_binds_by_picker(as_user, db_session):
    b = as_user("admin")
    response = b.post("/console/users", {"username": "li.si", "display_name": "李四", "role": "township",
                                        "region_pick": "150121100000", "password": "short"})
    assert response.status_code == 422
    from lxml import html
    page = html.fromstring(response.data)
    assert page.xpath("//input[@name='username']/@value") == ["li.si"]
    assert page.xpath("//input[@name='display_name']/@value") == ["李四"]
    assert page.xpath("//select[@name='role']/option[@selected]/@value") == ["township"]
    assert page.xpath("//select[@name='region_pick']//option[@selected]/@value") == ["150121100000"]
    assert page.xpath("//input[@name='password']/@value") in ([], [""])            # never echoed
    assert "密码至少" in page.text_content()
    b.post("/console/users", {"username": "li.si", "display_name": "李四", "role": "township",
                              "region_pick": "150121100000", "password": "Str0ng-pass!"})
    _fresh(db_session)
    assert db_session.query(User).filter_by(username="li.si").one().region_codes == ["150121100000"]
