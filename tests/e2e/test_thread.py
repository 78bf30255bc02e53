"""The thread pane pages its replies: the newest page first, "Older replies" loads the page
before it by cursor, and a new reply still lands at the bottom."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from .browsing import assert_accessible, create_chat, create_workspace, message, send, sign_in
from .conftest import NewPage
from .server_kit import Server, unique

REPLIES = 120  # more than two pages of 50


def test_a_long_thread_opens_on_its_latest_replies_and_pages_back(
    new_page: NewPage, server: Server
) -> None:
    name = unique("tess")
    page = new_page()
    sign_in(page, name)
    workspace_id = create_workspace(page, unique("Threads"))
    chat_id = create_chat(page, "Threads", type="discussion")
    send(page, "the root of it")
    root_id = message(page, "the root of it").get_attribute("data-message-id")
    with httpx.Client(base_url=server.base_url + "/api/v1", timeout=30) as api:
        issued = api.post("/auth/dev/token", json={"username": name})
        api.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
        for number in range(1, REPLIES + 1):
            api.post(
                f"/workspaces/{workspace_id}/chats/{chat_id}/messages",
                json={"content": f"reply {number:03d}", "parent_id": root_id},
            ).raise_for_status()
    page.reload()

    message(page, "the root of it").get_by_role("button", name=f"{REPLIES} replies").click()
    replies = page.get_by_role("log", name="Replies")
    articles = replies.locator("article")
    expect(articles).to_have_count(50)
    expect(articles.first).to_contain_text("reply 071")
    expect(articles.last).to_contain_text("reply 120")
    assert_accessible(page)

    older = replies.get_by_role("button", name="Older replies")
    older.click()
    expect(articles).to_have_count(100)
    expect(articles.first).to_contain_text("reply 021")
    expect(older).to_be_focused()  # the next loader, where the keyboard was
    page.keyboard.press("Enter")
    expect(articles).to_have_count(REPLIES)
    expect(articles.first).to_contain_text("reply 001")
    expect(older).to_have_count(0)
    expect(articles.nth(REPLIES - 1)).to_contain_text("reply 120")

    reply_box = page.get_by_label("Reply", exact=True)
    reply_box.fill("the newest word")
    page.get_by_role("button", name="Send reply").click()
    expect(articles).to_have_count(REPLIES + 1)
    expect(articles.last).to_contain_text("the newest word")
