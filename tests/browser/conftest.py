"""Browser fixtures for tests in this directory (tests elsewhere import them from tests.browser.kit)."""
from tests.browser.kit import chromium, live_url, screenshot_dir, tabs  # noqa: F401
