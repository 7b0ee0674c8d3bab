"""`shoudi init`: migrate, publish the shipped forms into every project, optionally seed a demo county."""
from __future__ import annotations

import csv
import io
import os
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Callable

from flask import Flask
from sqlalchemy import select

from server.accounts import create_project, create_user, get_user
from server.auth.passwords import generate_password
from server.db import get_db, session_scope
from server.migrate import current_revision, upgrade
from server.models import Project, Region, User
from server.publishing import MediaFile, publish
from server.roles import level_of, parent_code
from server.storage import get_blobs

Echo = Callable[[str], None]

DEMO_PROVINCE = ("150000000000", "内蒙古自治区")
DEMO_CITY = ("150100000000", "呼和浩特市")
DEMO_VINTAGE = 2023
DEMO_USERS = (  # username, role, region (None = the demo's first village / township / county; village2 the
    ("admin", "admin", None),          # first village of the second township)
    ("county1", "county", "county"),
    ("township1", "township", "township"),
    ("village1", "village", "village"),
    ("cadre1", "collector", "village"),
    ("cadre2", "collector", "village2"),
)


def initialise(app: Flask, *, demo: bool = False, echo: Echo = print, year: int | None = None,
               port: int = 8080, host: str = "0.0.0.0") -> None:
    engine = get_db(app).engine
    upgrade(engine)
    echo(f"数据库就绪 database ready: revision {current_revision(engine)} ({engine.url.get_backend_name()})")
    created: list = []
    if demo:
        created = seed_demo(app, echo=echo)
    publish_shipped_forms(app, echo=echo, year=year)
    if demo:
        print_demo_access(app, echo=echo, port=port, host=host,
                          new_password="cadre1" in {username for username, _role, _pw in created})


def resolve_policy(region_code: str, year: int, echo: Echo, session=None):  # noqa: ANN001, ANN201
    """The policy for the region in `year` (shipped + local layers when a session is given), else in
    the latest earlier year that has one, saying so."""
    from scoring.policy import PolicyNotFound, load_policy

    from server.policies import policy_for
    for y in range(year, 2015, -1):
        try:
            policy = policy_for(session, region_code, y) if session is not None else load_policy(region_code, y)
        except PolicyNotFound:
            continue
        if y != year:
            echo(f"注意 note: {region_code} 没有 {year} 年的监测标准，使用已发布的最近年份 {y}"
                 f"（{policy.floor:g} 元）/ no {year} policy shipped; using the latest shipped year {y}")
        return policy
    raise LookupError(f"no monitoring policy shipped for region {region_code} in or before {year}")


DEMO_POLICY = """# 演示政策 demo policy, written by `shoudi init --demo`.
# 监测范围为演示值，不是官方数据 — the floor is a demonstration value, not an official figure.
# Set your county's real figure with `shoudi policies set FILE.toml` (same format).
region = "{region}"
name = "{name}"

[[period]]
years = [{year}, {year}]
floor = 8000
floor_source = "演示值，非官方数据 / demonstration value, not an official figure (shoudi init --demo)"
"""


def _villages(session, project: Project):  # noqa: ANN001, ANN202
    from forms import Village
    prefix = project.region_code.rstrip("0")
    regions = {r.code: r for r in session.scalars(select(Region).where(Region.code.startswith(prefix[:6])))}
    rows = []
    for r in sorted(regions.values(), key=lambda r: r.code):
        if r.level != "village" or not r.code.startswith(prefix):
            continue
        township = regions.get(parent_code(r.code))
        county = regions.get(parent_code(township.code)) if township else None
        if township is None or county is None:
            continue
        rows.append(Village(county.code[:6], county.name, township.code[:9], township.name, r.code, r.name))
    return rows


def publish_shipped_forms(app: Flask, *, echo: Echo = print, year: int | None = None) -> None:
    """Build the shipped forms for each project's region and publish them (idempotent)."""
    from forms import FormBuildError, build_all, policy_from_scoring
    year = year or date.today().year
    with session_scope(app) as session:
        projects = list(session.scalars(select(Project).order_by(Project.id)))
        if not projects:
            echo("尚无项目，未发布表单 / no project yet: create one (`shoudi projects add`) and run init again")
            return
        for project in projects:
            try:
                policy = resolve_policy(project.region_code, year, echo, session)
                villages = _villages(session, project)
                if not villages:
                    raise FormBuildError("no villages under the project's region; import the region tree first")
                built_forms = build_all(policy_from_scoring(policy, villages=villages))
            except (LookupError, FormBuildError) as exc:
                echo(f"  未发布 not published for project {project.id} {project.name}: {exc}")
                continue
            for built in built_forms:
                media = [MediaFile(name, data) for name, data in sorted(built.media.items())]
                version, created = publish(session, get_blobs(app), project, built.xml_bytes,
                                           xlsx=built.xlsx_bytes, media=media)
                state = "已发布 published" if created else "未变 unchanged"
                echo(f"  {state}: project {project.id} {built.form_id} {built.version}")


def seed_demo(app: Flask, *, echo: Echo = print) -> list[tuple[str, str, str]]:
    """A demo county under Inner Mongolia (codes 150121…), a project, users of every role (two collectors
    in different townships). Returns the users created now as (username, role, password).

    Passwords are random, printed once and kept in `<DATA_DIR>/demo-credentials.txt` (mode 0600); staff
    change theirs at the first login; a second run creates no user and says where the existing passwords are.
    """
    villages = _demo_villages()
    with session_scope(app) as session:
        def add_region(code: str, name: str) -> None:
            if session.get(Region, code) is None:
                session.add(Region(code=code, parent_code=parent_code(code), level=level_of(code), name=name,
                                   vintage=DEMO_VINTAGE))
                session.flush()
        add_region(*DEMO_PROVINCE)
        add_region(*DEMO_CITY)
        for v in villages:
            add_region(v["county_code"].ljust(12, "0"), v["county_name"])
            add_region(v["township_code"].ljust(12, "0"), v["township_name"])
            add_region(v["village_code"], v["village_name"])
        county = villages[0]["county_code"].ljust(12, "0")
        project = session.scalars(select(Project).where(Project.region_code == county)).first()
        if project is None:
            project = create_project(session, villages[0]["county_name"] + " 防返贫监测", county)
        second = next((v for v in villages if v["township_code"] != villages[0]["township_code"]), villages[-1])
        where = {"county": county, "township": villages[0]["township_code"].ljust(12, "0"),
                 "village": villages[0]["village_code"], "village2": second["village_code"]}
        created = []
        for username, role, level in DEMO_USERS:
            if session.scalars(select(User).where(User.username == username)).first() is not None:
                continue
            # A generated password that meets the policy. Staff must change theirs at the first console or
            # API login; the collector's is not flagged: it goes into Collect's settings (Digest), where
            # no password can be changed (OpenRosa routes never ask for a change; see docs/security.md).
            password = generate_password()
            create_user(session, app, username, role=role, password=password,
                        region_codes=[where[level]] if level else [], display_name=f"演示 {role}",
                        must_change=role != "collector")
            created.append((username, role, password))
        get_user(session, "cadre1")
        from server.register.demo import seed_households  # demo households (issue #5)
        from server.register.models import Household
        from server.policies import PolicyLayer, set_layer
        if session.scalars(select(PolicyLayer.id).limit(1)).first() is None:
            set_layer(session, DEMO_POLICY.format(region=county[:6], name=villages[0]["county_name"],
                                                  year=date.today().year))
            echo(f"  演示政策 demo policy: {county[:6]} {date.today().year} 监测范围 floor 8000 元（演示值 demo value）")
        if session.scalars(select(Household.id).limit(1)).first() is None:
            year = resolve_policy(county, date.today().year, echo, session).year
            count = seed_households(session, [v["village_code"] for v in villages][:3], policy_year=year)
            echo(f"  演示农户 demo households: {count} (scored under the {year} policy)")
    echo(f"演示数据 demo: project {project.id} {project.name} ({project.region_code}), "
         f"{len(villages)} villages")
    if created:
        path = Path(app.config["DATA_DIR"]) / "demo-credentials.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            for username, role, password in created:
                fh.write(f"{username}\t{role}\t{password}\n")
        for username, role, password in created:
            echo(f"  用户 user {username:<10} role {role:<10} password {password}")
        echo(f"  (also in {path}; staff change their password at the first login)")
    else:
        path = Path(app.config["DATA_DIR"]) / "demo-credentials.txt"
        echo(f"  演示用户已存在，密码未改变，见 {path} / the demo users exist; their passwords are unchanged "
             f"(see {path}; reset one with `shoudi users passwd NAME`)")
    return created


def print_demo_access(app: Flask, *, echo: Echo = print, port: int = 8080, host: str = "0.0.0.0",
                      new_password: bool = True) -> None:
    """Where to open the console, and how ODK Collect connects as the demo collector: a device token
    and its QR code the first time; later runs keep the existing token (and its saved QR code) and
    say how to issue another one — never a new token behind the user's back."""
    from server import collect_config as cc
    from server.accounts import issue_token, projects_for
    from server.models import AppToken
    from server.serve import listen_urls

    urls = listen_urls(host, port)
    phone_base = (app.config["PUBLIC_URL"] or (urls[-1] if not _loopback(host) else urls[0])).rstrip("/")
    qr_path = Path(app.config["DATA_DIR"]) / "demo-collect-qr.png"
    password_note = "password above" if new_password else f"password in {Path(app.config['DATA_DIR'])}/demo-credentials.txt"
    with session_scope(app) as session:
        user = get_user(session, "cadre1")
        project = projects_for(session, user)[0]
        existing = session.scalars(select(AppToken).where(AppToken.user_id == user.id, AppToken.label == "demo QR",
                                                          AppToken.revoked_at.is_(None))).first()
        issued = None if existing is not None and qr_path.exists() else issue_token(session, user, project, "demo QR")
        config = (cc.settings(f"{phone_base}/v1/key/{issued.token}/projects/{project.id}", project.name)
                  if issued else None)
    echo("")
    for url in urls:
        echo(f"控制台 console: {url}/console/")
    echo(f"  (start the server with `shoudi serve --data-dir {app.config['DATA_DIR']} --host {host} --port {port}`)")
    if _loopback(host):
        echo("  仅本机可访问；手机需要局域网地址：用 --host 0.0.0.0 启动 / loopback only: phones need the server on "
             "a LAN address (--host 0.0.0.0)")
    echo(f"ODK Collect 手动配置 manual setup: server URL {phone_base}/v1/projects/{project.id} , "
         f"user cadre1 ({password_note})")
    if issued is None:
        echo(f"演示设备令牌已存在（#{existing.id}），二维码仍在 {qr_path}；未发新令牌 / the demo device token "
             f"#{existing.id} exists and its QR code is still in {qr_path}; no new token was issued "
             f"(another one: `shoudi collect-config cadre1 --qr FILE.png`)")
        return
    payload = cc.encode(config)
    cc.qr(payload).save(str(qr_path), scale=8, border=4)
    echo(f"或扫码 or scan this QR code in Collect (device token #{issued.row.id}, also saved to {qr_path}):")
    cc.qr(payload).terminal(compact=True)


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _demo_villages() -> list[dict]:
    text = resources.files("forms").joinpath("data/demo_villages.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))
