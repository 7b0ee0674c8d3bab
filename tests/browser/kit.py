"""Browser-test kit: the system Chromium driven by Playwright (from PyPI, pointed at Debian's
``chromium``; never ``playwright install``), the test app served over HTTP in a thread, and a tab that
records what a page does wrong.

Every page a test opens with :meth:`Tab.visit` is checked: no console errors, no uncaught exceptions,
no failed requests (network errors or HTTP ≥ 400), no request leaving 127.0.0.1, and at phone width
(≤ 480 px) no horizontal overflow. Screenshots go to ``<pytest basetemp>/screenshots/`` — the
test artifacts (``docs/console.md`` shows some of them).

Missing Chromium or Playwright is a failure, never a skip: ``make test`` (tests/run_all.sh) installs
both on a fresh machine.
"""
from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--lang=zh-CN"]
DESKTOP = (1366, 900)
PHONE = (390, 844)
INSTALL_HINT = ("run `make test` (tests/run_all.sh installs them) or: apt-get install -y chromium "
                "fonts-noto-cjk && .venv/bin/pip install -e '.[dev]'")


def chromium_path() -> str:
    """The system Chromium, or fail the test (never skip) with how to install it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("no `chromium` on PATH for the browser tests; " + INSTALL_HINT, pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the Python package `playwright` is missing; " + INSTALL_HINT, pytrace=False)
    return path


@pytest.fixture(scope="module")
def chromium():  # noqa: ANN201
    """One headless Chromium per test module."""
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def live_url(app):  # noqa: ANN001, ANN201
    """The test app served over HTTP in a thread (same database and data directory as the fixtures)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<basetemp>/screenshots``: kept by pytest after the run (its last 3 base temp dirs)."""
    path = tmp_path_factory.getbasetemp() / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Tab:
    """A browser context + page at one viewport, with everything a page did wrong recorded."""

    def __init__(self, browser, base: str, out: Path, viewport: tuple[int, int], label: str) -> None:  # noqa: ANN001
        self.base, self.out, self.viewport, self.label = base, out, viewport, label
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                           locale="zh-CN", service_workers="block")
        self.page = self.context.new_page()
        self.problems: list[str] = []
        host = urlsplit(base).hostname
        page = self.page
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"uncaught exception: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

        def outside(request) -> None:  # noqa: ANN001
            if urlsplit(request.url).scheme in ("data", "blob", "about"):
                return
            if urlsplit(request.url).hostname != host:
                self.problems.append(f"request leaving {host}: {request.url}")
        page.on("request", outside)
        # nothing may leave the machine, even if a page tried
        self.context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), lambda route: route.abort())

    @property
    def phone(self) -> bool:
        return self.viewport[0] <= 480

    def visit(self, path: str, shot: str | None = None):  # noqa: ANN201
        """Open ``path`` (relative to the server), check it, and screenshot it as ``shot``."""
        self.page.goto(self.base + path)
        return self.check(shot)

    def check(self, shot: str | None = None):  # noqa: ANN201
        """Check the page as it is now (after a click or a form post); screenshot it as ``shot``."""
        page = self.page
        page.wait_for_load_state("load")
        if shot:
            page.screenshot(path=str(self.out / f"{self.label}-{shot}-{self.viewport[0]}x{self.viewport[1]}.png"),
                            full_page=True)
        problems, self.problems = self.problems, []
        assert not problems, f"{page.url}: " + "; ".join(problems)
        if self.phone:
            overflow = page.evaluate(
                "() => { const w = document.documentElement.clientWidth; const out = [];"
                " for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();"
                "  if (r.width && r.right > w + 1 && getComputedStyle(el).position !== 'fixed') {"
                "   let p = el.parentElement, clipped = false;"
                "   while (p && p !== document.body) { const o = getComputedStyle(p).overflowX;"
                "    if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break } p = p.parentElement }"
                "   if (!clipped) out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')"
                "                           + ' → ' + Math.round(r.right) + 'px') } }"
                " return {scroll: document.documentElement.scrollWidth, width: w, out: out.slice(0, 5)} }")
            assert overflow["scroll"] <= overflow["width"] and not overflow["out"], \
                f"{page.url} overflows at {self.viewport[0]} px: {overflow}"
        return page

    def english(self, skip: str = ".mono, [lang=en], .user") -> list[str]:
        """English words (3+ Latin letters) in the page's visible text, outside ``skip`` elements
        (codes, the language switch, the user's own display name)."""
        return self.page.evaluate(
            "(skip) => { const out = []; const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
            " for (let n = walker.nextNode(); n; n = walker.nextNode()) { const el = n.parentElement;"
            "  if (!el || el.closest(skip) || el.closest('script, style, option') || !el.offsetParent) continue;"
            "  for (const w of n.textContent.match(/[A-Za-z]{3,}/g) || []) out.push(w) } return out }", skip)

    def login(self, username: str, password: str) -> None:
        if "/console/login" not in self.page.url:
            self.page.goto(self.base + "/console/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("load")
        assert "/console/login" not in self.page.url, f"login as {username} failed"
        self.check()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tabs(chromium, live_url, screenshot_dir, request):  # noqa: ANN001, ANN201
    """``tabs(viewport, label)`` → a new :class:`Tab` on the live server (closed after the test)."""
    opened: list[Tab] = []

    def make(viewport: tuple[int, int] = DESKTOP, label: str | None = None) -> Tab:
        tab = Tab(chromium, live_url, screenshot_dir, viewport, label or request.node.name)
        opened.append(tab)
        return tab
    yield make
    for tab in opened:
        tab.close()
