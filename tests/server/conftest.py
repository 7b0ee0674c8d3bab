"""Server fixtures: a small region tree, a project, users, and a published test form."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.accounts import create_project, create_user, issue_token
from server.models import Project, Region
from server.publishing import MediaFile, publish
from server.storage import get_blobs
from tests.server.helpers import DigestClient, form_xml

PASSWORD = "correct-horse-9"

REGIONS = [
    ("150000000000", None, "province", "内蒙古自治区"),
    ("150100000000", "150000000000", "city", "呼和浩特市"),
    ("150121000000", "150100000000", "county", "土默特左旗"),
    ("150121100000", "150121000000", "township", "察素齐镇"),
    ("150121100201", "150121100000", "village", "示范村"),
    ("150121100202", "150121100000", "village", "东村"),
    ("150122000000", "150100000000", "county", "托克托县"),
    ("150122100000", "150122000000", "township", "双河镇"),
    ("150122100201", "150122100000", "village", "西村"),
]


@dataclass
class World:
    project: Project
    other_project: Project
    collector: str
    outsider: str
    admin: str
    token: str


def seed_regions(session) -> None:
    for code, parent, level, name in REGIONS:
        session.add(Region(code=code, parent_code=parent, level=level, name=name, vintage=2023))
    session.flush()


@pytest.fixture
def fast_hash(monkeypatch):
    """Hash PASSWORD once per session (argon2 is deliberately slow); other passwords hash normally."""
    from server.auth import passwords
    real = passwords.hash_password
    cache = _HASHES

    def hash_password(password: str) -> str:
        if password not in cache:
            cache[password] = real(password)
        return cache[password]
    monkeypatch.setattr(passwords, "hash_password", hash_password)


_HASHES: dict[str, str] = {}


@pytest.fixture
def world(app, db_session, fast_hash) -> World:
    seed_regions(db_session)
    project = create_project(db_session, "土左旗监测", "150121000000")
    other = create_project(db_session, "托县监测", "150122000000")
    collector = create_user(db_session, app, "cadre1", role="collector", password=PASSWORD,
                            region_codes=["150121100201"])
    create_user(db_session, app, "cadre2", role="collector", password=PASSWORD, region_codes=["150122100201"])
    create_user(db_session, app, "admin1", role="admin", password=PASSWORD, region_codes=[])
    publish(db_session, get_blobs(app), project, form_xml(),
            media=[MediaFile("villages.csv", "name,label\n150121100201,示范村\n".encode())])
    publish(db_session, get_blobs(app), other, form_xml(form_id="other_visit"))
    issued = issue_token(db_session, collector, project, "phone 1")
    db_session.commit()
    return World(project=project, other_project=other, collector="cadre1", outsider="cadre2", admin="admin1",
                 token=issued.token)


@pytest.fixture
def collect(client, world) -> DigestClient:
    """A Collect-like client logged in as the village collector."""
    return DigestClient(client, world.collector, PASSWORD)
