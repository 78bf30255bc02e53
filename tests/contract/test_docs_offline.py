"""`/docs` renders the operation list in headless Chromium with every request to another
origin blocked (issue 16, step 3): Swagger UI's assets come from this server."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_the_docs_render_the_operations_offline(api_url: str) -> None:
    origin = urlsplit(api_url).netloc
    blocked: list[str] = []
    served: list[str] = []

    def only_this_server(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == origin:
            served.append(url)
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page()
            page.route("**/*", only_this_server)
            page.goto(f"{api_url}/docs")
            operations = page.locator(".opblock-summary-path")
            operations.first.wait_for(timeout=30_000)
            paths = operations.all_inner_texts()
        finally:
            browser.close()
    assert blocked == []
    assert any(url.endswith("/schema/openapi.json") for url in served)
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in served)
    assert len(paths) > 60
    assert any("/api/v1/workspaces" in path for path in paths)


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    assert shutil.which("chromium") or shutil.which(CHROMIUM), "run scripts/services.sh up"
