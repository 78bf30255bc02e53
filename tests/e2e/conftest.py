"""Browser tests: Playwright driving Debian's Chromium against a real `flowra-api`.

Playwright's own browser download is not reachable here, so the tests launch
`/usr/bin/chromium` (`scripts/services.sh up` installs it; `FLOWRA_E2E_CHROMIUM` overrides).
On a failure each open page leaves a screenshot and its HTML in `.e2e-artifacts/`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from .server_kit import Server, base_env, free_port, running_api

CHROMIUM = os.environ.get("FLOWRA_E2E_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("FLOWRA_E2E_ARTIFACTS", ".e2e-artifacts"))
TIMEOUT_MS = 15_000

expect.set_options(timeout=TIMEOUT_MS)

NewPage = Callable[..., Page]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `scripts/services.sh up` (installs chromium)")
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = base_env(free_port(), tmp_path_factory.mktemp("uploads"))
    with running_api(env) as running:
        yield running


def _save_artifacts(request: pytest.FixtureRequest, pages: list[Page]) -> None:
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
    for index, page in enumerate(pages):
        if page.is_closed():
            continue
        page.screenshot(path=str(ARTIFACTS / f"{stem}-{index}.png"), full_page=True)
        (ARTIFACTS / f"{stem}-{index}.html").write_text(page.content())


@pytest.fixture
def new_page(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """`new_page(width=1440)`: a page in a fresh browser context (a separate person)."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    def make(*, width: int = 1440, height: int = 900, base_url: str | None = None) -> Page:
        context = browser.new_context(
            base_url=base_url or server.base_url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        context.on("page", lambda opened: pages.append(opened))
        return page

    yield make
    _save_artifacts(request, pages)
    for context in contexts:
        context.close()
