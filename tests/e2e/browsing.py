"""What the browser tests do on pages, by the accessible names of web-client.md §4."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

AXE = Path(__file__).parent / "vendor" / "axe" / "axe.min.js"
SERIOUS = ("serious", "critical")


def sign_in(page: Page, username: str, *, next_path: str | None = None) -> None:
    page.goto("/login" if next_path is None else f"/login?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def create_workspace(page: Page, name: str) -> str:
    page.goto("/workspaces")
    page.get_by_role("button", name="New workspace").click()
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page).to_have_url(re.compile(r"/workspaces/[\w-]+$"))
    return page.url.rsplit("/", 1)[1]


def create_chat(page: Page, title: str, *, type: str = "task", private: bool = False) -> str:
    page.get_by_role("button", name="New chat").click()
    dialog = page.get_by_role("dialog", name="New chat")
    dialog.get_by_label("Title").fill(title)
    dialog.get_by_label("Type").select_option(type)
    if private:
        dialog.get_by_label("Private (participants only)").check()
    dialog.get_by_role("button", name="Create chat").click()
    expect(page).to_have_url(re.compile(r"/chats/[\w-]+$"))
    return page.url.rsplit("/", 1)[1]


def messages(page: Page) -> Locator:
    return page.get_by_role("log", name="Messages")


def send(page: Page, text: str) -> None:
    box = page.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def message(page: Page, text: str) -> Locator:
    return messages(page).locator("article").filter(has_text=text)


def column(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name=title, exact=True)


def confirm(page: Page, action: str) -> None:
    """Answers the page's confirmation dialog with its button named `action`."""
    dialog = page.get_by_role("dialog", name="Are you sure?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=action, exact=True).click()
    expect(dialog).to_be_hidden()


def live(page: Page) -> None:
    """Wait until the page's WebSocket is connected and subscribed."""
    expect(page.locator("#live")).to_have_attribute("data-state", "connected")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now. Motion is reduced
    first (Pico then drops its colour transitions), so contrast is measured on the final
    colours rather than halfway through a transition after the page's first paint."""
    page.emulate_media(reduced_motion="reduce")
    page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(
        """async (levels) => {
            const result = await window.axe.run(document, { resultTypes: ["violations"] });
            return result.violations
                .filter((v) => levels.includes(v.impact))
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.map((n) => n.target.join(" ")) }));
        }""",
        list(SERIOUS),
    )
    return found


def assert_accessible(page: Page) -> None:
    violations = serious_violations(page)
    assert violations == [], f"{page.url}: {violations}"


def screenshot_for_docs(page: Page, scratch: Path) -> Path:
    """The README's picture, taken from a real page. It lands in `FLOWRA_E2E_SCREENSHOT`
    when set (`FLOWRA_E2E_SCREENSHOT=docs/web-client.png make e2e`), else in `scratch`."""
    shot = scratch / "web-client.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    target = os.environ.get("FLOWRA_E2E_SCREENSHOT")
    if target:
        shutil.copyfile(shot, target)
    return shot
