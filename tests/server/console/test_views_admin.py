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
    b.post("/console/users", {"username": "x y", "role": "county", "region_codes": "150121000000",
                              "password": "Str0ng-pass!"})
    assert "用户名只能包含" in b.page("/console/users").text_content()
    b.post("/console/users", {"username": "weak", "role": "county", "region_codes": "150121000000", "password": "1"})
    assert "密码至少" in b.page("/console/users").text_content()
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
