"""Login throttling and lockout (console, API, Digest, Basic; per account and per address; stored in
the database), audited unlock, unknown users handled like real ones, the password policy and the
forced change of demo and reset passwords."""
from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import select

from server.models import LoginThrottle, User
from server.register.models import AuditEntry
from tests.server.helpers import OR, DigestClient
from tests.server.register.world import PASSWORD

LIMIT = 5  # LOGIN_MAX_FAILURES default


def _csrf(browser, path: str = "/console/login") -> str:  # noqa: ANN001
    return re.search(r'name="csrf_token" value="([^"]+)"', browser.get(path).get_data(as_text=True)).group(1)


def _console_post_login(browser, username: str, password: str):  # noqa: ANN001, ANN202
    return browser.post("/console/login", data={"username": username, "password": password,
                                                "csrf_token": _csrf(browser)})


def _api_login(client, username: str, password: str):  # noqa: ANN001, ANN202
    return client.post("/api/v1/session", json={"username": username, "password": password})


def test_api_account_lockout_refuses_even_the_right_password(api):
    for _ in range(LIMIT):
        assert _api_login(api.client, "county", "guessing-wrong-1").status_code == 401
    locked = _api_login(api.client, "county", PASSWORD)
    assert locked.status_code == 429 and locked.get_json()["code"] == "auth.locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # another account from the same address is not locked by this one
    assert _api_login(api.client, "township", PASSWORD).status_code == 200


def test_console_lockout_and_audited_unlock_by_an_admin(app, api, people, db_session):
    browser = app.test_client()
    for _ in range(LIMIT):
        assert _console_post_login(browser, "township", "not-my-password").status_code == 401
    response = _console_post_login(browser, "township", PASSWORD)
    assert response.status_code == 429 and "锁定" in response.get_data(as_text=True)
    # the admin sees the lock on the users page and lifts it
    admin = app.test_client()
    assert _console_post_login(admin, "admin", PASSWORD).status_code == 302
    page = admin.get("/console/users").get_data(as_text=True)
    uid = people.users["township"].id
    assert f"/console/users/{uid}/unlock" in page
    assert admin.post(f"/console/users/{uid}/unlock", data={"csrf_token": _csrf(admin, "/console/users")}
                      ).status_code == 302
    assert _console_post_login(browser, "township", PASSWORD).status_code == 302
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "user.unlock")).one()
    assert entry.actor == "admin" and entry.entity_id == str(uid) and entry.after["via"] == "console"


def test_unlock_through_the_api_and_the_cli(api, people, cli_runner, db_session):
    for _ in range(LIMIT):
        _api_login(api.client, "village", "wrong-password-x")
    assert _api_login(api.client, "village", PASSWORD).status_code == 429
    uid = people.users["village"].id
    assert api.post(f"/users/{uid}/unlock", "county").status_code == 403          # admins only
    assert api.post(f"/users/{uid}/unlock", "admin").get_json()["unlocked"] == ["user:village"]
    assert _api_login(api.client, "village", PASSWORD).status_code == 200
    for _ in range(LIMIT):
        _api_login(api.client, "village", "wrong-password-x")
    result = cli_runner("users", "unlock", "village")
    assert result.exit_code == 0 and "user:village" in result.output
    assert _api_login(api.client, "village", PASSWORD).status_code == 200
    vias = sorted(e.after["via"] for e in db_session.scalars(select(AuditEntry).where(AuditEntry.action == "user.unlock")))
    assert vias == ["api", "cli"]


def test_unknown_user_is_counted_and_locked_like_a_real_one(api, db_session):
    """Nothing tells an attacker whether a name exists: same 401, same lock."""
    for name in ("county", "nobody-here"):
        answers = [_api_login(api.client, name, "wrong-password-x") for _ in range(LIMIT)]
        assert {a.status_code for a in answers} == {401}
        assert {a.get_json()["message"] for a in answers} == {"用户名或密码错误。Wrong username or password."}
        assert _api_login(api.client, name, "wrong-password-x").status_code == 429


def test_unknown_user_costs_one_password_hash(api, monkeypatch):
    """Constant-time answer: an unknown user name still runs argon2 (against a dummy hash)."""
    from server.auth import passwords
    calls = []
    real = passwords._hasher

    class Counting:
        def verify(self, h, p):  # noqa: ANN001, ANN202
            calls.append(h)
            return real.verify(h, p)

        def hash(self, p):  # noqa: ANN001, ANN202
            return real.hash(p)
    monkeypatch.setattr(passwords, "_hasher", Counting())
    _api_login(api.client, "nobody-here", "whatever-pass")
    _api_login(api.client, "county", "whatever-pass")
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)


def test_address_lockout_stops_password_spraying(app, api):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 4
    for name in ("county", "township", "village", "admin"):          # one try each: no account locked
        assert _api_login(api.client, name, "Spring2026spray").status_code == 401
    refused = _api_login(api.client, "collector", PASSWORD)
    assert refused.status_code == 429 and "address" in refused.get_json()["message"]
    other_address = api.client.post("/api/v1/session", json={"username": "collector", "password": PASSWORD},
                                    environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_address.status_code == 200


def test_lock_state_is_in_the_database_for_every_process(app, app_config, api, db_session):
    from server import create_app

    for _ in range(LIMIT):
        _api_login(api.client, "county", "wrong-password-x")
    other = create_app(dict(app_config)).test_client()
    assert _api_login(other, "county", PASSWORD).status_code == 429
    row = db_session.scalars(select(LoginThrottle).where(LoginThrottle.scope == "user",
                                                         LoginThrottle.key == "county")).one()
    assert row.locked_until is not None


def test_digest_and_basic_are_throttled_too(client, world):
    project = f"/v1/projects/{world.project.id}/formList"
    for _ in range(LIMIT):
        assert DigestClient(client, world.collector, "wrong-password-x").get(project).status_code == 401
    right = DigestClient(client, world.collector, "correct-horse-9").get(project)
    assert right.status_code == 429 and b"OpenRosaResponse" in right.data
    basic = "Basic " + base64.b64encode(f"{world.outsider}:wrong-password-x".encode()).decode()
    for _ in range(LIMIT):
        assert client.get(project, headers=dict(OR, Authorization=basic), base_url="https://localhost"
                          ).status_code == 401
    good = "Basic " + base64.b64encode(f"{world.outsider}:correct-horse-9".encode()).decode()
    assert client.get(project, headers=dict(OR, Authorization=good), base_url="https://localhost").status_code == 429


# --- passwords ------------------------------------------------------------------------------------

@pytest.mark.parametrize("password,reason", [
    ("Short-1", "至少 10 位"), ("13912345678", "只有数字"), ("Password2024!", "常见密码"), ("p@ssw0rd123", "常见密码"),
    ("woaini1314520", "常见密码"), ("qwertyuiop", "过于简单"), ("aaaaaaaaaaaa", "过于简单"),
    ("abcdefgh12", "过于简单"), ("cadre7-field-notes", "用户名"),
])
def test_password_policy(password, reason):
    from server.auth.passwords import WeakPassword, check_strength
    with pytest.raises(WeakPassword, match=reason):
        check_strength(password, "cadre7")


def test_common_password_list_ships_as_package_data():
    from server.auth.passwords import common_passwords
    assert {"password", "qwerty", "woaini", "admin"} <= common_passwords() and len(common_passwords()) > 200


def test_staff_creation_enforces_the_policy_on_api_and_cli(api, cli_runner):
    weak = api.post("/users", "admin", json={"username": "zhao.county", "role": "county", "password": "Password2024",
                                             "region_codes": ["150121000000"]})
    assert weak.status_code == 422 and "常见密码" in weak.get_json()["message"]
    result = cli_runner("users", "add", "qian.town", "--role", "township", "--region", "150121100000",
                        "--password", "qian.town-2026")
    assert result.exit_code != 0 and "用户名" in result.output


def test_collectors_may_have_no_password_staff_may_not(app, db_session, people):
    from server.accounts import AccountError, create_user
    create_user(db_session, app, "tokenonly", role="collector", password=None, region_codes=["150121100201"])
    with pytest.raises(AccountError):
        create_user(db_session, app, "nopass", role="township", password=None, region_codes=["150121100000"])


def test_reset_password_forces_a_change_on_console_and_api(app, api, people, db_session):
    uid = people.users["township"].id
    reset = api.post(f"/users/{uid}/password", "admin")
    assert reset.status_code == 200 and reset.get_json()["must_change_password"] is True
    temporary = reset.get_json()["password"]
    # API: only /me and the password change until it is changed
    login = _api_login(api.client, "township", temporary).get_json()
    auth = {"Authorization": "Bearer " + login["token"]}
    refused = api.client.get("/api/v1/households", headers=auth)
    assert refused.status_code == 403 and refused.get_json()["code"] == "auth.password_change_required"
    assert api.client.get("/api/v1/me", headers=auth).get_json()["must_change_password"] is True
    # console: every page leads to the change page
    browser = app.test_client()
    response = _console_post_login(browser, "township", temporary)
    assert "/console/password" in response.headers["Location"]
    assert "/console/password" in browser.get("/console/households").headers["Location"]
    form = {"current_password": temporary, "new_password": "Chasuqi-review-9", "confirm_password": "Chasuqi-review-9",
            "csrf_token": _csrf(browser, "/console/password")}
    assert browser.post("/console/password", data=form).status_code == 302
    assert browser.get("/console/households").status_code == 200
    db_session.expire_all()
    assert db_session.get(User, uid).must_change_password is False


def test_demo_staff_must_change_their_password_the_collector_not(app, db_session):
    from server.bootstrap import seed_demo
    seed_demo(app, echo=lambda *a, **k: None)
    flags = dict(db_session.execute(select(User.role, User.must_change_password)).all())
    assert flags["collector"] is False
    assert all(flags[r] for r in ("township", "county", "admin"))
    from server.auth.passwords import check_strength
    for line in (__import__("pathlib").Path(app.config["DATA_DIR"]) / "demo-credentials.txt").read_text().splitlines():
        username, _role, password = line.split("\t")
        check_strength(password, username)


def test_console_reset_shows_the_temporary_password_once_never_in_the_cookie(app, people, db_session):
    admin = app.test_client()
    assert _console_post_login(admin, "admin", PASSWORD).status_code == 302
    uid = people.users["village"].id
    page = admin.post(f"/console/users/{uid}/password", data={"csrf_token": _csrf(admin, "/console/users")})
    temporary = re.search(r"village 的临时密码：(\w+)", page.get_data(as_text=True)).group(1)
    cookie = app.session_interface.get_signing_serializer(app).loads(admin.get_cookie("session").value)
    assert temporary not in repr(cookie)
    db_session.expire_all()
    assert db_session.get(User, uid).must_change_password is True
    assert _api_login(app.test_client(), "village", temporary).get_json()["must_change_password"] is True
