"""Browser tests: Playwright for Python driving Debian's Chromium against a real engine (SQLite)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, Database, Server

CHROMIUM = os.environ.get("LOGNET_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
# Screenshots go to the documentation only when asked (LOGNET_SCREENSHOTS=1), so test runs leave the tree clean.
DOC_SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")
if os.environ.get("LOGNET_SCREENSHOTS") == "1":
    SHOTS = DOC_SHOTS
else:
    SHOTS = tempfile.mkdtemp(prefix="lognet-shots-")
    atexit.register(shutil.rmtree, SHOTS, True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real engine on SQLite behind uvicorn, console included."""
    srv = Server(Database("sqlite", tmp_path_factory.mktemp("webdb")))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def api(web: Server) -> Iterator[httpx.Client]:
    with web.client() as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any, web: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=web.url)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


def login(page: Any, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.wait_for_selector("#overview-hosts")


def shot(page: Any, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))
