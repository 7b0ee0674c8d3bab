"""Login, logout, CSRF, and role × region on every console page: a township user cannot open another
township's household page, photo or job; lists hold only the user's regions."""
from __future__ import annotations

import pytest

from server.jobs import enqueue
from server.register.models import AuditEntry
from server.console.access import safe_next


def test_pages_redirect_to_login_when_logged_out(browser):
    for path in ("/console/dashboard", "/console/households", "/console/households/1", "/console/jobs",
                 "/console/users", "/console/forms"):
        response = browser.get(path)
        assert response.status_code == 302
        assert "/console/login?next=" in response.headers["Location"]


def test_login_sets_session_and_is_audited(browser, db_session):
    response = browser.login("township")
    assert response.headers["Location"].endswith("/console/dashboard")
    assert browser.get("/console/dashboard").status_code == 200
    actions = [a for (a,) in db_session.query(AuditEntry.action).order_by(AuditEntry.id)]
    assert actions[-1] == "login"


def test_wrong_password_is_refused_and_audited(browser, db_session):
    browser.get("/console/login")
    response = browser.post("/console/login", {"username": "township", "password": "nope-nope-nope"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert browser.get("/console/dashboard").status_code == 302
    assert db_session.query(AuditEntry).filter_by(action="login.failed").count() == 1


def test_login_follows_next_only_inside_the_console(browser):
    browser.get("/console/login")
    response = browser.post("/console/login", {"username": "county", "password": "Passw0rd!x",
                                               "next": "/console/jobs"})
    assert response.headers["Location"].endswith("/console/jobs")
    assert safe_next("https://evil.example/console", "/d") == "/d"
    assert safe_next("//evil.example/console", "/d") == "/d"
    assert safe_next("/api/v1/users", "/d") == "/d"
    assert safe_next("/console/households?page=2", "/d") == "/console/households?page=2"


def test_post_without_csrf_token_is_refused(browser):
    browser.login("admin")
    response = browser.post("/console/users", {"username": "x1", "role": "county", "password": "Abcdefgh1!",
                                               "region_codes": "150121000000"}, csrf=False)
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    response = browser.post("/console/users", {"username": "x1", "role": "county", "password": "Abcdefgh1!",
                                               "region_codes": "150121000000", "csrf_token": "forged"}, csrf=False)
    assert response.status_code == 400


def test_login_form_itself_needs_the_csrf_token(browser):
    response = browser.client.post("/console/login", data={"username": "admin", "password": "Passw0rd!x"})
    assert response.status_code == 400


def test_logout_ends_the_session(browser, db_session):
    browser.login("county")
    response = browser.post("/console/logout")
    assert response.status_code == 302
    assert browser.get("/console/dashboard").status_code == 302
    assert db_session.query(AuditEntry).filter_by(action="logout").count() == 1


def test_logout_needs_csrf(browser):
    browser.login("county")
    assert browser.post("/console/logout", csrf=False).status_code == 400
    assert browser.get("/console/dashboard").status_code == 200


def test_disabled_user_loses_the_session(browser, db_session, world):
    browser.login("county")
    user = db_session.get(type(world.users["county"]), world.users["county"].id)
    user.active = False
    db_session.commit()
    assert browser.get("/console/dashboard").status_code == 302


@pytest.mark.parametrize("user,path,status", [
    ("collector", "/console/dashboard", 403),
    ("collector", "/console/jobs", 403),
    ("township", "/console/users", 403),
    ("county", "/console/forms", 403),
    ("county", "/console/users", 200),
    ("admin", "/console/forms", 200),
    ("collector", "/console/households", 200),
])
def test_roles_per_page(as_user, user, path, status):
    b = as_user(user)
    response = b.get(path)
    assert response.status_code == status
    if status == 403:
        assert "无权" in response.get_data(as_text=True)


def test_township_cannot_open_another_townships_household_or_photo(as_user, households, db_session):
    own = households.add(region="150121100201", head="本镇户")
    other = households.add(region="150121101201", head="外镇户")
    db_session.commit()
    b = as_user("township")
    assert b.get(f"/console/households/{own.id}").status_code == 200
    assert b.get(f"/console/households/{own.id}/files/auth-1.jpg").status_code == 200
    response = b.get(f"/console/households/{other.id}")
    assert response.status_code == 404
    assert "外镇户" not in response.get_data(as_text=True)
    assert b.get(f"/console/households/{other.id}/files/auth-1.jpg").status_code == 404
    listing = b.get("/console/households").get_data(as_text=True)
    assert "本镇户" in listing and "外镇户" not in listing
    # the other township's user sees it the other way round
    o = as_user("township_other")
    assert o.get(f"/console/households/{other.id}").status_code == 200
    assert o.get(f"/console/households/{own.id}").status_code == 404


def test_township_cannot_act_on_another_townships_household(as_user, households, db_session):
    other = households.add(region="150121101201", head="外镇户")
    db_session.commit()
    b = as_user("township")
    response = b.post(f"/console/households/{other.id}/cases", {"kind": "identification",
                                                                "entry_channel": "cadre_check"})
    assert response.status_code == 404
    assert b.post(f"/console/households/{other.id}/conflict").status_code == 404


def test_filter_by_a_region_outside_scope_is_404(as_user):
    b = as_user("township")
    assert b.get("/console/households?region=150121101000").status_code == 404
    assert b.get("/console/dashboard?region=150122000000").status_code == 404
    assert b.get("/console/households?region=not-a-code").status_code == 404


def test_township_cannot_see_another_townships_job(as_user, db_session, world):
    own = enqueue(db_session, "rescore", {"region_code": "150121100000"}, region_code="150121100000",
                  created_by=world.users["county"].id)
    other = enqueue(db_session, "rescore", {"region_code": "150121101000"}, region_code="150121101000",
                    created_by=world.users["county"].id)
    db_session.commit()
    page = as_user("township").page("/console/jobs")
    ids = [row.xpath("td[1]")[0].text for row in page.xpath("//tr[starts-with(@class, 'job-')]")]
    assert str(own.id) in ids and str(other.id) not in ids


def test_security_headers_on_pages(as_user):
    response = as_user("county").get("/console/dashboard")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_error_pages_are_html_with_their_status(as_user, app, monkeypatch):
    b = as_user("county")
    missing = b.get("/console/households/999999")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    from server.console import queries

    def broken(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("boom 150121198003150017")
    monkeypatch.setattr(queries, "area_counts", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = b.get("/console/dashboard")
    assert response.status_code == 500 and "服务器内部错误" in response.get_data(as_text=True)
    assert "150121198003150017" not in response.get_data(as_text=True)


def test_unknown_console_urls_get_a_chinese_page_and_the_api_keeps_json(app, as_user):
    client = app.test_client()
    response = client.get("/console/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    body = response.data.decode()
    assert "未找到" in body and "无法显示此页面" in body and 'lang="zh-CN"' in body
    assert "English" not in body.split("<main")[1] if "<main" in body else True
    logged_in = as_user("county").get("/console/households/99999/nothing")
    assert logged_in.status_code == 404 and "未找到" in logged_in.data.decode()
    english = client.get("/console/no-such-page?lang=en")
    assert "Not found" in english.data.decode()
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.is_json
    method = client.delete("/console/login")
    assert method.status_code == 405 and method.mimetype == "text/html"


def test_favicon_is_a_local_static_file(app, browser):
    client = app.test_client()
    page = browser.page("/console/login")
    from urllib.parse import unquote
    href = page.xpath("//link[@rel='icon']/@href")[0]
    assert href.startswith("data:image/svg+xml,") and unquote(href).count("<svg") == 1   # inline: no request
    location = client.get("/favicon.ico").headers["Location"]          # browsers asking on their own
    icon = client.get(location)
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
