"""Browser tests: a real headless Chromium (Debian's `chromium`, driven by Playwright for
Python; never a downloaded browser) against a real `kefu serve` with the demo shop loaded.

One browser and one demo shop serve the whole run; each test opens its own browser contexts
(fresh cookies and localStorage), and adds the replies it asserts on, so tests do not
depend on each other's edits.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from kefu.core.demo import DEMO_PASSWORD
from tests.live import LiveServer, LiveSite, run_cli

CHROMIUM = Path(os.environ.get("KEFU_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
NARROW = {"width": 400, "height": 820}
# Speed measurements of this run (test_speed.py), printed after the tests.
SPEED: list[dict[str, Any]] = []
WIDE = {"width": 1280, "height": 800}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SPEED:
        return
    write = terminalreporter.write_line
    terminalreporter.section("panel: keystroke to results painted, in Chromium (ms)")
    write(f"{'library':<8} {'replies':>8} {'keys':>5} {'p50':>7} {'p95':>7} {'max':>7}"
          f"   {'fetch p50':>9} {'fetch p95':>9}")
    for row in SPEED:
        write(f"{row['library']:<8} {row['replies']:>8} {row['keystrokes']:>5} "
              f"{row['p50']:>7.1f} {row['p95']:>7.1f} {row['max']:>7.1f}"
              f"   {row['fetch_p50']:>9.1f} {row['fetch_p95']:>9.1f}")
    write("keystroke → the frame that paints its results; fetch: the search request alone")


class Chromium:
    """One Playwright and one Chromium for a run of consecutive browser test modules.

    Playwright's sync API keeps its asyncio loop marked as running in the main thread while
    it is alive, and Django then refuses every database call there (SynchronousOnlyOperation).
    So it is stopped before any test that is not a browser test runs (see _stop_chromium).
    """

    def __init__(self) -> None:
        self._pw: Any = None
        self.browser: Any = None

    def start(self) -> Any:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self._pw = sync_playwright().start()
            self.browser = self._pw.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGS)
        return self.browser

    def stop(self) -> None:
        if self._pw is not None:
            self.browser.close()
            self._pw.stop()
        self._pw = self.browser = None


CHROMIUM_RUN = Chromium()


def pytest_sessionfinish() -> None:
    CHROMIUM_RUN.stop()


@pytest.fixture(scope="module", autouse=True)
def _stop_chromium(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a browser module, stop Chromium unless the next test is a browser test too."""
    yield
    items = request.session.items
    here = Path(str(request.node.path))
    mine = [i for i, item in enumerate(items) if Path(str(item.path)) == here]
    following = items[mine[-1] + 1] if mine and mine[-1] + 1 < len(items) else None
    if following is None or following.get_closest_marker("browser") is None:
        CHROMIUM_RUN.stop()


@pytest.fixture(scope="module")
def browser() -> Any:
    if not CHROMIUM.exists():
        pytest.skip(f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing. Install Debian's chromium "
                    "and fonts-noto-cjk (`make test` does when run as root).")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("BROWSER TESTS SKIPPED: Playwright for Python is not installed "
                    "(pip install -e '.[dev]').")
    return CHROMIUM_RUN.start()


@dataclass
class Shop:
    """The demo organization on a live server, and its people logged in (sessions, which
    work for API calls too: no token to create per person)."""

    site: LiveSite
    server: LiveServer
    _sessions: dict[str, httpx.Client] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def session(self, username: str) -> httpx.Client:
        if username not in self._sessions:
            client = self.site.web_client(self.server, username, DEMO_PASSWORD)
            client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
            self._sessions[username] = client
        return self._sessions[username]

    def api(self, username: str = "zhuguan", server: LiveServer | None = None) -> httpx.Client:
        """A client of ``server`` (default: the shop's) logged in as ``username``."""
        session = self.session(username)
        if server is None or server is self.server:
            return session
        return httpx.Client(base_url=server.url, timeout=10, cookies=session.cookies,
                            headers={"X-CSRFToken": session.cookies["csrftoken"]})

    def cookies(self, username: str) -> list[dict[str, Any]]:
        # Sessions live in the database: the cookies work on every server of the site.
        return [{"name": c.name, "value": c.value or "", "domain": "127.0.0.1", "path": "/"}
                for c in self.session(username).cookies.jar]

    def add_reply(self, title: str, body: str, username: str = "zhuguan",
                  **extra: Any) -> dict[str, Any]:
        resp = self.api(username).post("/api/v1/replies",
                                       json={"title": title, "body": body, **extra})
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def close(self) -> None:
        for client in self._sessions.values():
            client.close()


@pytest.fixture(scope="session")
def shop(shared_live_site: LiveSite, shared_live_server: LiveServer) -> Iterator[Shop]:
    run_cli(shared_live_site.env, "demo")
    demo = Shop(shared_live_site, shared_live_server)
    yield demo
    demo.close()


def unique(prefix: str = "") -> str:
    """A word no other reply contains, to search for (letters only: digits copy in the
    panel's search box). It starts with v, which begins no pinyin syllable, so no prefix of
    it reads as pinyin or initials: with a random first letter, the search's prefix
    fallback found a demo title for 1.4 % of such words ("djbt..." -> 定金不退规则), and a
    title starting "tk..." ranked with 退款 for the tests that search "tk". Ten letters: the
    fallback tries prefixes down to half the word, and five letters keep tests' words apart."""
    return prefix + "v" + "".join(secrets.choice("bcdfghjkmnpqrstvwxz") for _ in range(9))


OpenPanel = Callable[..., Any]


@pytest.fixture
def open_panel(browser: Any, shop: Shop) -> Iterator[OpenPanel]:
    """open_panel(user="kefu1", viewport=NARROW, server=None) -> a Page on /panel/, loaded
    and live, in its own context with clipboard access. Page errors fail the test."""
    contexts = []
    errors: list[str] = []

    def make(user: str = "kefu1", viewport: dict[str, int] | None = None,
             server: LiveServer | None = None, path: str = "/panel/") -> Any:
        srv = server or shop.server
        context = browser.new_context(viewport=viewport or NARROW, locale="zh-CN",
                                      base_url=srv.url)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=srv.url)
        context.add_cookies(shop.cookies(user))
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path)
        if path.startswith("/panel"):
            wait_ready(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert errors == [], f"script errors on the page: {errors}"


def wait_ready(page: Any) -> None:
    page.wait_for_selector("[data-panel][data-loaded]", timeout=10_000)
    page.wait_for_selector("[data-conn='live']", timeout=10_000)


def search(page: Any, query: str) -> None:
    """Type a query into the focused search box and wait for its results on screen."""
    page.focus("[data-q]")
    page.fill("[data-q]", "")
    page.keyboard.type(query)
    page.wait_for_function(
        "q => document.querySelector('[data-list]').dataset.query === q", arg=query)


def titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("[data-list] li.item .title").all_inner_texts()]


def eventually(check: Callable[[], Any], timeout: float = 3.0) -> Any:
    """Poll ``check`` until it returns something truthy (the panel records uses in the
    background, after the copy is confirmed)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def clipboard(page: Any) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


def set_clipboard(page: Any, text: str) -> None:
    page.evaluate("t => navigator.clipboard.writeText(t)", text)
