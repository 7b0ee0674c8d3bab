"""Settings: precedence, parsing, secret key handling, and that every setting is documented."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.config import SETTINGS, ensure_secret_key, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_env_and_overrides(tmp_path):
    env = {"SHOUDI_DATA_DIR": str(tmp_path / "env"), "SHOUDI_MAX_BODY_BYTES": "1234", "SHOUDI_FSYNC": "no"}
    s = load_settings(None, environ=env)
    assert s["DATA_DIR"] == str((tmp_path / "env").resolve())
    assert s["MAX_BODY_BYTES"] == 1234 and s["FSYNC"] is False
    assert s["DATABASE_URL"] == "sqlite:///" + str((tmp_path / "env").resolve() / "shoudi.sqlite3")
    s = load_settings({"DATA_DIR": str(tmp_path / "cfg"), "TESTING": True}, environ=env)
    assert s["DATA_DIR"].endswith("cfg") and s["TESTING"] is True
    assert load_settings({}, environ={})["PUBLIC_URL"] is None
    assert load_settings({"PUBLIC_URL": "https://x.cn/"}, environ={})["PUBLIC_URL"] == "https://x.cn"


def test_bad_values_name_the_variable():
    with pytest.raises(ValueError, match="SHOUDI_MAX_BODY_BYTES"):
        load_settings(None, environ={"SHOUDI_MAX_BODY_BYTES": "lots"})
    with pytest.raises(ValueError, match="SHOUDI_FSYNC"):
        load_settings(None, environ={"SHOUDI_FSYNC": "maybe"})


def test_secret_key_is_generated_once_and_private(tmp_path):
    a = {"DATA_DIR": str(tmp_path), "SECRET_KEY": None}
    b = dict(a)
    ensure_secret_key(a)
    ensure_secret_key(b)
    assert a["SECRET_KEY"] == b["SECRET_KEY"] and len(a["SECRET_KEY"]) == 64
    assert os.stat(tmp_path / "secret_key").st_mode & 0o077 == 0


def test_nothing_is_read_at_import_time(monkeypatch):
    import importlib

    import server
    import server.config
    monkeypatch.setenv("SHOUDI_MAX_BODY_BYTES", "not-a-number")
    importlib.reload(server.config)  # must not raise: values are read only by load_settings()
    importlib.reload(server)


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [f"SHOUDI_{s.name}" for s in SETTINGS if f"`SHOUDI_{s.name}`" not in doc]
    assert not missing, f"document these settings in docs/configuration.md: {missing}"
