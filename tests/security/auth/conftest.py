"""Fixtures of the security tests: the Collect world of tests/server (a project, collectors, a published
form, an app-user token) and the register world (users of every role) under other names."""
from __future__ import annotations

import pytest

from tests.server.conftest import PASSWORD, collect, fast_hash, world  # noqa: F401
from tests.server.register.world import Api, build


@pytest.fixture
def people(app, db_session, fast_hash):  # noqa: ANN001, F811
    """Users of every role (register world: `collector`, `village`, `township`, `county`, `admin`…)."""
    w = build(db_session)
    db_session.commit()
    return w


@pytest.fixture
def api(app, people):  # noqa: ANN001
    return Api(app.test_client(use_cookies=False))


__all__ = ["PASSWORD"]
