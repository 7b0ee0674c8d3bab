"""Several app nodes with their own data directories share one secret key through the database, so a
console session, an API token or a Digest nonce issued by one node is accepted by every other."""
from __future__ import annotations

import pytest

from server import create_app
from tests.server.register.world import PASSWORD, world  # noqa: F401


def _node(app_config, tmp_path, name):  # noqa: ANN001, ANN202
    config = {k: v for k, v in app_config.items() if k != "SECRET_KEY"}
    return create_app({**config, "DATA_DIR": str(tmp_path / name)})


@pytest.fixture
def nodes(app, app_config, tmp_path, monkeypatch):  # `app` empties the tables afterwards
    monkeypatch.delenv("SHOUDI_SECRET_KEY", raising=False)
    first = _node(app_config, tmp_path, "node-a")
    second = _node(app_config, tmp_path, "node-b")
    yield first, second
    for node in (first, second):
        from server.db import get_db
        get_db(node).dispose()


def test_nodes_share_the_first_nodes_key(nodes, tmp_path):
    first, second = nodes
    own_a = (tmp_path / "node-a" / "secret_key").read_text().strip()
    own_b = (tmp_path / "node-b" / "secret_key").read_text().strip()
    assert own_a != own_b                                      # each data dir made its own
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == own_a


def test_an_api_token_from_one_node_is_accepted_by_the_other(nodes, world):  # noqa: F811
    first, second = nodes
    login = first.test_client().post("/api/v1/session", json={"username": "county", "password": PASSWORD})
    assert login.status_code == 200, login.get_json()
    token = login.get_json()["token"]
    response = second.test_client().get("/api/v1/households", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()


def test_an_explicit_setting_wins(app, app_config, tmp_path, monkeypatch):
    monkeypatch.delenv("SHOUDI_SECRET_KEY", raising=False)
    node = create_app({**app_config, "DATA_DIR": str(tmp_path / "c"), "SECRET_KEY": "from-settings"})
    assert node.config["SECRET_KEY"] == "from-settings"
