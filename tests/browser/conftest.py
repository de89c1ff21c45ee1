"""Headless Chromium (Debian's, driven by Playwright) against a real ``runyard serve``.

Without Chromium these tests are skipped with the reason shown, except in CI, where
``python3 dev.py test`` installs it and its absence is an error.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks.server import CHROMIUM_ARGS, running_server

from tests.conftest import ADMIN_KEY, IN_CI


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module: Playwright's sync API keeps an event loop running on this
    thread while it lives, which later tests (asyncio.run, TestClient) cannot share."""
    path = chromium_path()
    if path is None:
        if IN_CI:
            pytest.fail("CI needs Chromium: python3 dev.py test installs Debian's package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# What the browser and the server said, printed after each test: pytest shows it when
# the test fails, to tell a slow server from a click that went nowhere.


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    log = tmp_path / "serve.log"
    with running_server(database_url, ADMIN_KEY, log, "--no-worker") as url:
        yield url
    print("server log, last lines:", *log.read_text().splitlines()[-40:], sep="\n  ")


@pytest.fixture
def page(chromium: Any, tmp_path: Path) -> Iterator[Any]:
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    said: list[str] = []
    tab.on("console", lambda message: said.append(f"console {message.type}: {message.text}"))
    tab.on("requestfailed", lambda r: said.append(f"failed {r.method} {r.url}: {r.failure}"))
    tab.on("framenavigated", lambda frame: said.append(f"navigated {frame.url}"))
    yield tab
    print("browser:", *said, f"last url {tab.url}", sep="\n  ")
    context.close()
