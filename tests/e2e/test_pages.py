"""The rest of the pages: history paging, message actions, search, settings, members,
keyboard use."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

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
from .server_kit import Server, unique

HISTORY = 70  # more than one page of 50

# Counts the side panel's settled swaps (htmx:afterSettle on #chat-side) in `window.panelSettled`.
SETTLE_COUNTER = """() => {
  window.panelSettled = 0;
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target && event.detail.target.id === "chat-side") window.panelSettled += 1;
  });
}"""


def _api(server: Server, username: str) -> httpx.Client:
    """The JSON API as the same person (the local provider's dev token)."""
    client = httpx.Client(base_url=server.base_url + "/api/v1", timeout=30)
    issued = client.post("/auth/dev/token", json={"username": username})
    client.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
    return client


def test_history_pages_in_on_scroll_and_messages_can_be_edited_reacted_and_deleted(
    new_page: NewPage, server: Server
) -> None:
    name = unique("hana")
    page = new_page()
    sign_in(page, name)
    workspace_id = create_workspace(page, unique("History"))
    chat_id = create_chat(page, "Long thread", type="discussion")
    api = _api(server, name)
    try:
        for number in range(1, HISTORY + 1):
            api.post(
                f"/workspaces/{workspace_id}/chats/{chat_id}/messages",
                json={"content": f"note {number:03d}"},
            ).raise_for_status()
    finally:
        api.close()
    page.reload()
    log = messages(page)
    expect(log.locator("article").last).to_contain_text(f"note {HISTORY:03d}")  # newest last
    expect(log.locator("article")).to_have_count(50)
    log.evaluate("el => { el.scrollTop = 0; }")
    expect(log.locator("article")).to_have_count(HISTORY)
    expect(log.locator("article").first).to_contain_text("note 001")

    send(page, "tpyo here")
    mine = message(page, "tpyo here")
    mine.get_by_text("Edit", exact=True).click()
    mine.get_by_label("Edit message").fill("typo fixed")
    mine.get_by_role("button", name="Save").click()
    fixed = message(page, "typo fixed")
    expect(fixed).to_contain_text("(edited)")
    fixed.get_by_role("button", name="React with thumbs up").click()
    expect(fixed.get_by_role("button", name="👍 1")).to_have_attribute("aria-pressed", "true")
    fixed.get_by_role("button", name="👍 1").click()
    expect(fixed.get_by_role("button", name="React with thumbs up")).to_be_visible()
    fixed.get_by_role("button", name="Delete").click()
    confirm(page, "Delete message")
    expect(log.locator("article.deleted")).to_contain_text("This message was deleted.")


def test_search_settings_members_and_keyboard(new_page: NewPage, server: Server) -> None:
    owner_name, member_name = unique("olga"), unique("mike")
    page = new_page()
    sign_in(page, owner_name)
    workspace_id = create_workspace(page, unique("Keys"))
    create_chat(page, "Quarterly report", type="task")
    send(page, "the numbers for zanzibar are in")

    # Ctrl+K: search, arrow down, Enter opens the hit
    page.get_by_label("Message", exact=True).blur()
    page.keyboard.press("Control+k")
    search = page.get_by_role("dialog", name=re.compile("Search"))
    expect(search).to_be_visible()
    search.get_by_role("combobox").fill("zanzibar")
    expect(search.get_by_role("option")).to_have_count(1)
    search.get_by_role("combobox").press("ArrowDown")
    search.get_by_role("combobox").press("Enter")
    expect(page).to_have_url(re.compile(r"/chats/[\w-]+#m-"))

    # ? lists the shortcuts; Esc closes the dialog
    page.locator("body").press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # my settings: display name
    page.goto("/settings")
    page.get_by_label("Display name").fill("Olga the Owner")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()

    # members: bob joins by invite, the owner makes him admin; workspace settings rename
    page.goto(f"/workspaces/{workspace_id}/members")
    page.get_by_role("button", name="Create invite link").click()
    link = page.get_by_label("Invite link").first.input_value()
    other = new_page()
    sign_in(other, member_name)
    other.goto(link)
    other.get_by_role("button", name="Accept invitation").click()
    expect(other).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))
    page.reload()
    page.get_by_label(re.compile(f"Role of {member_name}")).select_option("admin")
    expect(page.locator(".toast")).to_contain_text(f"{member_name} is now admin")
    page.goto(f"/workspaces/{workspace_id}/settings")
    page.get_by_label("Name", exact=True).fill("Renamed team")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast").filter(has_text="Saved")).to_be_visible()
    page.get_by_label(re.compile("Type the workspace's name")).fill("wrong name")
    page.get_by_role("button", name="Delete workspace").click()
    confirm(page, "Delete workspace")
    expect(page.locator(".toast.error")).to_contain_text("type the workspace's name")
    page.get_by_label(re.compile("Type the workspace's name")).fill("Renamed team")
    page.get_by_role("button", name="Delete workspace").click()
    confirm(page, "Delete workspace")
    expect(page).to_have_url(re.compile("/workspaces$"))
    expect(page.get_by_role("link", name="Renamed team")).to_have_count(0)


def test_board_filters_quick_create_and_the_panel_timeline(new_page: NewPage) -> None:
    page = new_page()
    sign_in(page, unique("bea"))
    workspace_id = create_workspace(page, unique("Board"))
    page.goto(f"/workspaces/{workspace_id}/board")
    page.get_by_text("New card").click()
    page.get_by_label("Title").fill("Write the changelog")
    page.get_by_role("button", name="Create card").click()
    todo = page.get_by_role("region", name="To Do", exact=True)
    expect(todo.get_by_role("link", name="Write the changelog")).to_be_visible()
    page.get_by_label("Title").fill("Crash on save")
    page.get_by_label("Type", exact=True).last.select_option("bug")
    page.get_by_role("button", name="Create card").click()
    expect(todo.get_by_role("link", name="Crash on save")).to_be_visible()

    # compact view hides the card details and is remembered across a reload
    first_meta = todo.locator(".card-meta").first
    expect(first_meta).to_be_visible()
    compact = page.get_by_role("button", name="Compact view")
    compact.click()
    expect(compact).to_have_attribute("aria-pressed", "true")
    expect(first_meta).to_be_hidden()
    page.reload()
    expect(page.get_by_role("button", name="Compact view")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(todo.locator(".card-meta").first).to_be_hidden()
    assert_accessible(page)
    page.get_by_role("button", name="Compact view").click()
    expect(todo.locator(".card-meta").first).to_be_visible()

    filters = page.get_by_role("search", name="Board filters")
    filters.get_by_label("Type").select_option("bug")
    filters.get_by_role("button", name="Filter").click()
    expect(todo.get_by_role("link", name="Crash on save")).to_be_visible()
    expect(todo.get_by_role("link", name="Write the changelog")).to_have_count(0)
    filters.get_by_label("Type").select_option("")
    filters.get_by_label("Text").fill("changelog")
    filters.get_by_role("button", name="Filter").click()
    expect(todo.get_by_role("link", name="Write the changelog")).to_be_visible()
    expect(todo.get_by_role("link", name="Crash on save")).to_have_count(0)

    todo.get_by_role("link", name="Write the changelog").click()
    # The panel comes back from the server after each change; htmx wires the new controls
    # when it settles, and a change made before that reaches no handler. Wait for it.
    page.evaluate(SETTLE_COUNTER)
    page.get_by_label("Priority").select_option("High")
    page.wait_for_function("() => window.panelSettled >= 1")
    timeline = page.locator("#activity-list")
    expect(timeline).to_contain_text("priority")
    page.get_by_label("Status").select_option("In Progress")
    expect(timeline).to_contain_text("status changed: To Do → In Progress")
    expect(message(page, "In Progress").last).to_be_visible()
    participants = page.locator(".participants")
    participants.locator("summary").click()
    expect(participants).to_contain_text("online")


def test_the_chat_list_reorders_live_and_counts_unread(new_page: NewPage, server: Server) -> None:
    name = unique("lena")
    page = new_page()
    sign_in(page, name)
    workspace_id = create_workspace(page, unique("Order"))
    older_id = create_chat(page, "Older chat", type="discussion")
    create_chat(page, "Newer chat", type="discussion")
    chats = page.get_by_role("navigation", name="Chats").locator("#chat-list li")
    expect(chats.first).to_contain_text("Newer chat")
    expect(page.locator("#live")).to_have_attribute("data-state", "connected")

    owner, other = _api(server, name), _api(server, unique("omar"))
    try:
        invite = owner.post(f"/workspaces/{workspace_id}/invites", json={}).json()
        other.post(f"/invites/{invite['token']}/accept").raise_for_status()
        chat = f"/workspaces/{workspace_id}/chats/{older_id}"
        other.post(f"{chat}/join").raise_for_status()
        other.post(f"{chat}/messages", json={"content": "news"}).raise_for_status()
    finally:
        owner.close()
        other.close()
    expect(chats.first).to_contain_text("Older chat")
    expect(chats.first.get_by_label(re.compile(r"^[12] unread$"))).to_be_visible()  # + the join
