"""Presence dots start right when a page loads: the server renders who is online, so a dot
does not wait for the first live `presence.changed` (which only comes on a change)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .browsing import create_chat, create_workspace, live, message, send, sign_in
from .conftest import NewPage
from .server_kit import unique


def test_dots_of_authors_and_members_start_online_from_the_server(new_page: NewPage) -> None:
    alice, bob = new_page(), new_page()
    bob_name = unique("bob")
    sign_in(alice, unique("alice"))
    workspace_id = create_workspace(alice, unique("Dots"))
    alice.goto(f"/workspaces/{workspace_id}/members")
    alice.get_by_role("button", name="Create invite link").click()
    link = alice.get_by_label("Invite link").first.input_value()
    sign_in(bob, bob_name)
    bob.goto(link)
    bob.get_by_role("button", name="Accept invitation").click()
    expect(bob).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))

    alice.goto(f"/workspaces/{workspace_id}")
    chat_id = create_chat(alice, "Dots", type="discussion")
    bob.goto(f"/workspaces/{workspace_id}/chats/{chat_id}")
    bob.get_by_role("button", name="Join chat").click()
    live(bob)  # bob is online from here on, and stays so: no further presence event
    send(bob, "hello from bob")
    message(bob, "hello from bob").get_by_role("button", name="Reply").click()
    bob.get_by_label("Reply", exact=True).fill("and a reply")
    bob.get_by_role("button", name="Send reply").click()
    expect(bob.get_by_role("log", name="Replies").locator("article")).to_have_count(1)
    bob_id = message(bob, "hello from bob").get_attribute("data-author-id")
    assert bob_id

    dot = f'data-presence="{bob_id}" data-online="true"'
    response = alice.goto(f"/workspaces/{workspace_id}/chats/{chat_id}")
    assert response is not None
    assert dot in response.text()  # set by the server, before any script ran
    author_dot = message(alice, "hello from bob").locator(".presence")
    expect(author_dot).to_have_attribute("data-online", "true")
    live(alice)
    expect(author_dot).to_have_attribute("data-online", "true")
    # a fragment loaded later (the thread) takes the state the page was given
    message(alice, "hello from bob").get_by_role("button", name="1 reply").click()
    replies = alice.get_by_role("log", name="Replies")
    reply = replies.locator("article").filter(has_text="and a reply")
    expect(reply.locator(".presence")).to_have_attribute("data-online", "true")

    members = alice.goto(f"/workspaces/{workspace_id}/members")
    assert members is not None
    assert dot in members.text()
    row = alice.get_by_role("row").filter(has_text=bob_name)
    expect(row.locator(".presence")).to_have_attribute("data-online", "true")
