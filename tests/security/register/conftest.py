"""A county to attack (issue #12): the demo county with two villages of one township, a township
of its own, a county outside the project, collectors, village, township and county staff."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import select

from server.db import get_db, session_scope

VILLAGE_A, VILLAGE_B = "150121100201", "150121100202"   # 察素齐镇 (one township)
OUTSIDE_VILLAGE = "150122100201"                       # 托克托县: outside the demo project
OTHER_TOWNSHIP_VILLAGE = "150121101201"                # 毕克齐镇: same county, another township
TODAY = date(2021, 6, 1)
STAFF_PASSWORD = "Zhuanxiang-Jiancha-7"    # staff accounts need one that meets the policy


@dataclass
class County:
    project: int
    form: bytes
    tokens: dict = field(default_factory=dict)     # collector → app-user token
    users: dict = field(default_factory=dict)      # name → user id
    _seq: int = 0

    def households(self, village: str, n: int = 1, seed: int = 1, photo: bool = False) -> list[bytes]:
        from bench.ingest.households import generate
        return [xml for _iid, xml in generate(self.form, n, [(village, "村")], seed=seed, today=TODAY, photo=photo)]


def _quiet(*_a, **_k) -> None:  # noqa: ANN002, ANN003
    pass


@pytest.fixture
def county(app) -> County:
    from server.accounts import create_user, issue_token
    from server.bootstrap import publish_shipped_forms, seed_demo
    from server.models import Form, FormVersion, Project, Region

    app.config["PROCESS_INLINE"] = False
    seed_demo(app, echo=_quiet)
    publish_shipped_forms(app, echo=_quiet)
    with session_scope(app) as session:
        for code, parent, level in (("150122000000", "150100000000", "county"),
                                    ("150122100000", "150122000000", "township"),
                                    (OUTSIDE_VILLAGE, "150122100000", "village")):
            session.add(Region(code=code, parent_code=parent, level=level, name=code, vintage=2023))
        session.flush()
        project = session.scalars(select(Project).order_by(Project.id)).first()
        world = County(project=project.id, form=session.scalar(
            select(FormVersion.xml).join(Form, Form.id == FormVersion.form_id)
            .where(Form.xml_form_id == "household_survey").order_by(FormVersion.id.desc())))
        for name, role, regions in (("cadre_a", "collector", [VILLAGE_A]), ("cadre_b", "collector", [VILLAGE_B]),
                                    ("cadre_c", "collector", [VILLAGE_A, OUTSIDE_VILLAGE]),
                                    ("cadre_d", "collector", [OTHER_TOWNSHIP_VILLAGE]),
                                    ("village_b", "village", [VILLAGE_B]),
                                    ("township_ab", "township", ["150121100000"]),
                                    ("township_other", "township", ["150121101000"]),
                                    ("county_staff", "county", ["150121000000"])):
            user = create_user(session, app, name, role=role, region_codes=regions,
                                password=None if role == "collector" else STAFF_PASSWORD)
            world.users[name] = user.id
            if role == "collector":
                world.tokens[name] = issue_token(session, user, project, label="phone").token
    return world


def post(app, county: County, who: str, xml: bytes, files: dict | None = None):  # noqa: ANN001, ANN201
    """A Collect upload by collector ``who`` (its app-user token URL)."""
    data = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}
    for name, content in (files or {}).items():
        data[name] = (io.BytesIO(content), name, "image/jpeg")
    client = app.test_client()
    return client.post(f"/v1/key/{county.tokens[who]}/projects/{county.project}/submission", data=data,
                       headers={"X-OpenRosa-Version": "1.0"}, content_type="multipart/form-data")


def process(app, mode: str) -> dict:  # noqa: ANN001
    """Process every pending version step by step (``steps``) or with the register's batch writer."""
    from server import plugins
    from server.ingest import run_batch
    from server.models import SubmissionVersion

    session = get_db(app).sessionmaker()
    try:
        versions = list(session.scalars(select(SubmissionVersion).where(
            SubmissionVersion.processing_state == "pending").order_by(SubmissionVersion.id)))
        counts = run_batch(app, session, versions, plugins.processing_steps(), batch_writer=mode == "batch")
        session.commit()
        return counts
    finally:
        session.close()


def bearer(app, county: County, name: str) -> dict:  # noqa: ANN001
    """A bearer token of user ``name``: staff log in through the API as a person would; a collector (no
    password, a device token on the phone) gets an API session the way the login would make one."""
    if name.startswith("cadre_"):
        from server.auth import sessions
        from server.models import User
        with session_scope(app) as session:
            return {"Authorization": "Bearer " + sessions.start(
                session, session.get(User, county.users[name]), "api", hours=1)}
    response = app.test_client().post("/api/v1/session", json={"username": name, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": "Bearer " + response.get_json()["token"]}


def head_id(xml: bytes) -> str:
    return re.search(rb"<head_id_number>([0-9X]+)</head_id_number>", xml).group(1).decode()


def member_ids(xml: bytes) -> list[str]:
    return [m.decode() for m in re.findall(rb"<id_number>([0-9X]+)</id_number>", xml)]


def entity_id(xml: bytes) -> str:
    return re.search(rb'<entity [^>]*id="([^"]+)"', xml).group(1).decode()


def instance_id(xml: bytes) -> str:
    return re.search(rb"<instanceID>([^<]+)</instanceID>", xml).group(1).decode()
