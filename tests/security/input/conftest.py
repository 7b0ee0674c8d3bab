"""Security test fixtures: the register world (users of every role), an OpenRosa project with a
published form and an app-user token for its collector, API and console clients."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.accounts import create_project, issue_token
from server.publishing import publish
from server.storage import get_blobs
from tests.server.console.conftest import Browser
from tests.server.helpers import form_xml
from tests.server.register.world import Api, world  # noqa: F401  (fixture)


@dataclass
class Field:
    project_id: int
    token: str


@pytest.fixture
def field(app, world, db_session) -> Field:  # noqa: F811
    project = create_project(db_session, "土左旗监测", "150121000000")
    publish(db_session, get_blobs(app), project, form_xml())
    issued = issue_token(db_session, world.users["collector"], project, "phone 1")
    db_session.commit()
    return Field(project.id, issued.token)


@pytest.fixture
def api(client, world) -> Api:  # noqa: F811
    return Api(client)


@pytest.fixture
def console(app, world):  # noqa: F811
    def make(name: str) -> Browser:
        browser = Browser(app.test_client())
        browser.login(name)
        return browser
    return make
