"""Logout ends the session server-side; a password change or disabling the user ends all of them.

Attacks played: reuse a bearer token or a copied console cookie after logout, after a password change,
after the user is disabled (against a real server process: tests/security/auth/test_live.py).
"""
from __future__ import annotations

from sqlalchemy import select

from server.models import AuthSession
from tests.server.register.world import PASSWORD


def _console_login(app, username: str, password: str = PASSWORD):  # noqa: ANN001, ANN202
    browser = app.test_client()
    page = browser.get("/console/login")
    import re
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = browser.post("/console/login", data={"username": username, "password": password, "csrf_token": csrf})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def _csrf(browser, path: str = "/console/households") -> str:  # noqa: ANN001
    import re
    html = browser.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_api_logout_revokes_the_bearer_token(api):
    token = api.token("county")
    assert api.get("/me", "county").status_code == 200
    assert api.call("DELETE", "/session", "county").status_code == 204
    again = api.client.get("/api/v1/me", headers={"Authorization": "Bearer " + token})
    assert again.status_code == 401 and again.get_json()["code"] == "auth.invalid_token"


def test_console_logout_kills_a_copied_cookie(app, people):
    browser = _console_login(app, "township")
    stolen = browser.get_cookie("session").value          # what an attacker copied from the browser
    assert browser.get("/console/households").status_code == 200
    assert browser.post("/console/logout", data={"csrf_token": _csrf(browser)}).status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    response = attacker.get("/console/households")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    # and the API refuses the cookie too
    assert attacker.get("/api/v1/me").status_code == 401


def test_password_change_ends_every_session(app, api, people, db_session):
    browser = _console_login(app, "county")
    token = api.token("county")
    changed = api.post("/me/password", "county", json={"current_password": PASSWORD, "new_password": "Tumote-left-banner"})
    assert changed.status_code == 204
    assert api.client.get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 401
    assert browser.get("/console/households").status_code == 302
    rows = db_session.scalars(select(AuthSession).where(AuthSession.user_id == people.users["county"].id)).all()
    assert rows and all(r.revoked_at is not None for r in rows)
    assert api.client.post("/api/v1/session", json={"username": "county", "password": "Tumote-left-banner"}
                           ).status_code == 200


def test_password_set_by_the_cli_ends_sessions_and_must_be_changed(app, api, people, cli_runner):
    token = api.token("village")
    result = cli_runner("users", "passwd", "village", "--password", "Reset-by-admin-77")
    assert result.exit_code == 0, result.output
    assert api.client.get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 401
    login = api.client.post("/api/v1/session", json={"username": "village", "password": "Reset-by-admin-77"})
    assert login.get_json()["must_change_password"] is True


def test_disabling_a_user_ends_their_sessions(app, api, people):
    token = api.token("collector")
    victim_browser = _console_login(app, "collector")
    admin = _console_login(app, "admin")
    uid = people.users["collector"].id
    assert admin.post(f"/console/users/{uid}/disable", data={"csrf_token": _csrf(admin, "/console/users"),
                                                             "reason": "手机遗失", "confirm": "1"}).status_code == 302
    assert api.client.get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 401
    assert victim_browser.get("/console/households").status_code == 302


def test_sessions_are_shared_by_every_app_instance(app, app_config, api, people):
    """Another process (another app on the same database) sees a logout at once."""
    from server import create_app

    token = api.token("county")
    other = create_app(dict(app_config)).test_client(use_cookies=False)
    assert other.get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 200
    assert api.call("DELETE", "/session", "county").status_code == 204
    assert other.get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 401
