"""Destructive actions ask in the page's own dialog, never the browser's confirm(): focus stays
in it, Esc cancels, and the confirm button names the action."""

from __future__ import annotations

import re

from playwright.sync_api import Dialog, Page, expect

from .browsing import (
    assert_accessible,
    confirm,
    create_chat,
    create_workspace,
    message,
    messages,
    send,
    sign_in,
)
from .conftest import NewPage
from .server_kit import unique

FOCUS_IN_DIALOG = "() => document.activeElement?.closest('dialog[open]')?.id ?? null"


def _no_native_prompts(page: Page) -> list[str]:
    prompts: list[str] = []

    def record(dialog: Dialog) -> None:
        prompts.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return prompts


def test_delete_asks_in_a_keyboard_dialog_and_esc_cancels(new_page: NewPage) -> None:
    page = new_page()
    prompts = _no_native_prompts(page)
    sign_in(page, unique("cora"))
    create_workspace(page, unique("Confirm"))
    create_chat(page, "Doomed", type="discussion")
    send(page, "soon gone")
    mine = message(page, "soon gone")

    mine.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Are you sure?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Delete this message?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    action = dialog.get_by_role("button", name="Delete message", exact=True)
    assert_accessible(page)
    # Tab and Shift+Tab go round the dialog's two buttons and never leave it
    for key in ("Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab"):
        page.keyboard.press(key)
        assert page.evaluate(FOCUS_IN_DIALOG) == "confirm", key
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(mine).not_to_have_class("deleted")
    expect(mine.get_by_role("button", name="Delete")).to_be_focused()

    # Enter on the focused action confirms it
    mine.get_by_role("button", name="Delete").click()
    expect(dialog).to_be_visible()
    action.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(messages(page).locator("article.deleted")).to_contain_text("This message was deleted.")
    assert prompts == []


def test_revoke_remove_and_leave_ask_in_the_dialog(new_page: NewPage) -> None:
    owner, leaver, removed = new_page(), new_page(), new_page()
    prompts = [_no_native_prompts(page) for page in (owner, leaver, removed)]
    sign_in(owner, unique("rita"))
    workspace_id = create_workspace(owner, unique("Team"))
    owner.goto(f"/workspaces/{workspace_id}/members")
    owner.get_by_role("button", name="Create invite link").click()
    link = owner.get_by_label("Invite link").first.input_value()
    removed_name = unique("marc")
    for page, name in ((leaver, unique("lily")), (removed, removed_name)):
        sign_in(page, name)
        page.goto(link)
        page.get_by_role("button", name="Accept invitation").click()
        expect(page).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))

    # leave: the member's own dialog
    leaver.goto(f"/workspaces/{workspace_id}/settings")
    leaver.get_by_role("button", name="Leave workspace").click()
    confirm(leaver, "Leave workspace")
    expect(leaver).to_have_url(re.compile("/workspaces$"))

    # remove: cancelled first, then confirmed with the button that names the member
    owner.reload()
    remove = owner.get_by_role("row").filter(has_text=removed_name).get_by_role("button")
    remove.click()
    confirm(owner, "Cancel")
    expect(owner.get_by_role("row").filter(has_text=removed_name)).to_have_count(1)
    remove.click()
    confirm(owner, f"Remove {removed_name}")
    expect(owner.get_by_role("row").filter(has_text=removed_name)).to_have_count(0)

    # revoke the invite link
    owner.get_by_role("button", name="Revoke").click()
    confirm(owner, "Revoke invite")
    expect(owner.get_by_role("button", name="Revoke")).to_have_count(0)
    expect(owner.get_by_role("cell", name="revoked")).to_be_visible()
    assert prompts == [[], [], []]
