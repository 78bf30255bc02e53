"""axe-core on every page (0 serious or critical violations) and a phone-width pass."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .browsing import (
    assert_accessible,
    create_chat,
    create_workspace,
    send,
    serious_violations,
    sign_in,
)
from .conftest import NewPage
from .server_kit import unique

PHONE = 375
WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 10).map((e) => `${e.tagName}#${e.id}.${e.className}`)"""


def test_the_checker_finds_a_violation(new_page: NewPage) -> None:
    page = new_page()
    page.goto("/login")
    page.evaluate("document.body.append(Object.assign(document.createElement('input'), {id: 'x'}))")
    assert [v["id"] for v in serious_violations(page)] == ["label"]


def _pages(page: Page) -> list[str]:
    """Builds a workspace with content; returns every page address of it."""
    workspace_id = create_workspace(page, unique("Axe"))
    chat_id = create_chat(page, "Audit the forms", type="bug")
    send(page, "First finding\n#priority High")
    page.get_by_label("Assignee").select_option(index=1)
    expect(page.get_by_label("Assignee")).not_to_have_value("")
    page.goto(f"/workspaces/{workspace_id}/members")
    page.get_by_role("button", name="Create invite link").click()
    invite = page.get_by_label("Invite link").first.input_value()
    w = f"/workspaces/{workspace_id}"
    return [
        "/",
        "/workspaces",
        w,
        f"{w}/chats/{chat_id}",
        f"{w}/board",
        f"{w}/members",
        "/notifications",
        "/logout",
        "/invites/" + invite.rsplit("/invites/", 1)[1],
        f"{w}/chats/no-such-chat",
    ]


def test_every_page_passes_axe_light_dark_and_on_a_phone(new_page: NewPage) -> None:
    anonymous = new_page()
    anonymous.goto("/login")
    assert_accessible(anonymous)

    page = new_page()
    sign_in(page, unique("ada"))
    for path in _pages(page):
        page.goto(path)
        assert_accessible(page)
    page.get_by_role("button", name="Dark mode").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert_accessible(page)


def test_chat_and_board_work_at_phone_width(new_page: NewPage) -> None:
    page = new_page(width=PHONE, height=740)
    sign_in(page, unique("pia"))
    workspace_id = create_workspace(page, unique("Phone"))
    create_chat(page, "Small screens", type="task")
    send(page, "Works on a phone\n#status In Progress")
    expect(page.locator("article.msg-bot")).to_contain_text("In Progress")
    for path in (page.url, f"/workspaces/{workspace_id}/board"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(WIDER_THAN_VIEWPORT)
        assert width <= PHONE, f"{path} is {width}px wide at {PHONE}px: {wide}"
        assert_accessible(page)
    column = page.get_by_role("region", name="In Progress", exact=True)
    expect(column.get_by_role("link", name="Small screens")).to_be_visible()
    column.get_by_label(re.compile("Move Small screens to")).select_option("done")
    done = page.get_by_role("region", name="Done", exact=True)
    expect(done.get_by_role("link", name="Small screens")).to_be_visible()
