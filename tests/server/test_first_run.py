"""Issue #14 §7, a newcomer's first run: `/` opens the console; `shoudi init --demo` twice neither claims
passwords it does not print nor issues new device tokens; the demo has a village user; `shoudi demo fill
N` submits N households through the OpenRosa path; `shoudi regions list`; passwords without a terminal;
the URLs a server bound to an address can be reached at."""
from __future__ import annotations

from sqlalchemy import func, select

from server.models import AppToken, Submission, User
from server.register.models import Household


def test_site_root_redirects_to_the_console(client):  # noqa: ANN001
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")


def test_demo_init_twice_then_fill(cli_runner, db_session, app):  # noqa: ANN001
    first = cli_runner("init", "--demo", "--host", "127.0.0.1", "--port", "18123")
    assert first.exit_code == 0, first.output
    assert "控制台 console: http://127.0.0.1:18123/console/" in first.output
    assert "192." not in first.output and "10." not in first.output.split("控制台")[1][:60]
    assert "password above" in first.output
    users = {u.username: u for u in db_session.scalars(select(User))}
    assert users["village1"].role == "village" and users["village1"].region_codes == ["150121100201"]
    assert users["cadre2"].role == "collector" and users["cadre2"].region_codes[0][:9] != "150121100"
    tokens = db_session.scalar(select(func.count()).select_from(AppToken))
    db_session.rollback()

    second = cli_runner("init", "--demo", "--host", "127.0.0.1", "--port", "18123")
    assert second.exit_code == 0, second.output
    assert "password above" not in second.output and "用户 user" not in second.output
    assert "passwords are unchanged" in second.output and "no new token was issued" in second.output
    assert db_session.scalar(select(func.count()).select_from(AppToken)) == tokens
    db_session.rollback()

    households = db_session.scalar(select(func.count()).select_from(Household))
    db_session.rollback()
    filled = cli_runner("demo", "fill", "6", "--seed", "7")
    assert filled.exit_code == 0, filled.output
    assert "6 households submitted" in filled.output
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Household)) == households + 6
    submitters = set(db_session.scalars(select(User.username).join(Submission, Submission.submitter_id == User.id)))
    assert submitters == {"cadre1", "cadre2"}
    regions = {h.region_code[:9] for h in db_session.scalars(select(Household).order_by(Household.id.desc()).limit(6))}
    assert regions == {"150121100", "150121101"}                       # both townships
    fill_tokens = db_session.scalars(select(AppToken).where(AppToken.label == "demo fill")).all()
    assert fill_tokens and all(t.revoked_at is not None for t in fill_tokens)


def test_regions_list(cli_runner, world):  # noqa: ANN001
    top = cli_runner("regions", "list")
    assert top.exit_code == 0 and top.output.startswith("150000000000\tprovince\t")
    county = cli_runner("regions", "list", "--parent", "150121000000")
    assert county.exit_code == 0, county.output
    lines = county.output.strip().split("\n")
    assert all(line.split("\t")[1] == "township" for line in lines) and len(lines) >= 1
    assert cli_runner("regions", "list", "--parent", "999999000000").exit_code != 0


def test_users_add_without_a_terminal(cli_runner, world, db_session):  # noqa: ANN001
    piped = cli_runner("users", "add", "zhou", "--role", "village", "--region", "150121100201",
                       "--password-stdin", input="Piped-pass-2026\n")
    assert piped.exit_code == 0, piped.output
    generated = cli_runner("users", "add", "wu", "--role", "village", "--region", "150121100201",
                           "--generate-password", input="")
    assert generated.exit_code == 0, generated.output
    password = generated.output.split("密码 password: ")[1].split()[0]
    no_tty = cli_runner("users", "add", "qian", "--role", "village", "--region", "150121100201", input="")
    assert no_tty.exit_code != 0 and "--password-stdin" in no_tty.output
    from server.auth.passwords import verify_password
    db_session.rollback()
    users = {u.username: u for u in db_session.scalars(select(User).where(User.username.in_(("zhou", "wu"))))}
    assert verify_password(users["zhou"].password_hash, "Piped-pass-2026")
    assert verify_password(users["wu"].password_hash, password)


def test_listen_urls(monkeypatch):  # noqa: ANN001
    from server import collect_config, serve
    monkeypatch.setattr(collect_config, "guess_base_url", lambda port: f"http://192.0.2.7:{port}")
    assert serve.listen_urls("127.0.0.1", 9000) == ["http://127.0.0.1:9000"]
    assert serve.listen_urls("localhost", 9000) == ["http://127.0.0.1:9000"]
    assert serve.listen_urls("0.0.0.0", 9000) == ["http://127.0.0.1:9000", "http://192.0.2.7:9000"]
    assert serve.listen_urls("10.1.2.3", 9000) == ["http://10.1.2.3:9000"]
