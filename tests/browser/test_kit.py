"""The browser tests cannot be skipped away: without Chromium or Playwright they fail."""
from __future__ import annotations

import builtins

import pytest

from tests.browser import kit


def test_missing_chromium_fails_not_skips(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(kit.shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="no `chromium` on PATH.*apt-get install -y chromium"):
        kit.chromium_path()


def test_missing_playwright_fails_not_skips(monkeypatch) -> None:  # noqa: ANN001
    real_import = builtins.__import__

    def no_playwright(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name.startswith("playwright"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(kit.shutil, "which", lambda name: "/usr/bin/chromium")
    monkeypatch.setattr(builtins, "__import__", no_playwright)
    with pytest.raises(pytest.fail.Exception, match="`playwright` is missing"):
        kit.chromium_path()


def test_system_chromium_is_found() -> None:
    assert kit.chromium_path().endswith("chromium")
