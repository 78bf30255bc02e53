"""The main scenario of issue 15 in a real browser: two people, live chat, tags, board."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from .browsing import (
    assert_accessible,
    column,
    create_chat,
    create_workspace,
    live,
    message,
    messages,
    screenshot_for_docs,
    send,
    sign_in,
)
from .conftest import NewPage
from .server_kit import unique


def invite_link(page: Page, workspace_id: str) -> str:
    page.goto(f"/workspaces/{workspace_id}/members")
    page.get_by_role("button", name="Create invite link").click()
    link = page.get_by_label("Invite link").first
    expect(link).to_have_value(re.compile(r"/invites/"))
    return link.input_value()


def test_two_people_work_together_live(new_page: NewPage, tmp_path: Path) -> None:
    alice_name, bob_name = unique("alice"), unique("bob")
    alice = new_page()
    sign_in(alice, alice_name)
    workspace_id = create_workspace(alice, "Team " + alice_name)
    link = invite_link(alice, workspace_id)

    # bob opens the invite link: sign-in first, then back to the invitation
    bob = new_page()
    bob.goto(link)
    expect(bob).to_have_url(re.compile(r"/login\?next="))
    bob.get_by_label("Username").fill(bob_name)
    bob.get_by_role("button", name="Sign in").click()
    expect(bob.get_by_role("heading", name=re.compile("Join Team"))).to_be_visible()
    bob.get_by_role("button", name="Accept invitation").click()
    expect(bob).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))
    live(bob)

    # alice creates a task chat: bob's chat list shows it without a reload
    alice.goto(f"/workspaces/{workspace_id}")
    chat_id = create_chat(alice, "Fix login")
    bob_chats = bob.get_by_role("navigation", name="Chats")
    expect(bob_chats.get_by_role("link", name=re.compile("Fix login"))).to_be_visible()
    bob_chats.get_by_role("link", name=re.compile("Fix login")).click()
    expect(bob).to_have_url(re.compile(f"/chats/{chat_id}$"))
    bob.get_by_role("button", name="Join chat").click()
    expect(bob.get_by_label("Message", exact=True)).to_be_visible()
    live(bob)
    live(alice)

    # alice types: bob sees the indicator; alice sends: bob sees the message
    alice.get_by_label("Message", exact=True).press_sequentially("Hello bo")
    expect(bob.locator("#typing")).to_contain_text("is typing")
    alice.get_by_label("Message", exact=True).fill("")
    send(alice, "Hello bob, can you look at the login?")
    expect(message(bob, "Hello bob, can you look at the login?")).to_be_visible()

    # alice watches the board; bob's tags move the card there, both see the bot reply
    board = alice.context.new_page()
    board.goto(f"/workspaces/{workspace_id}/board")
    live(board)
    expect(column(board, "To Do").get_by_role("link", name="Fix login")).to_be_visible()
    send(bob, f"#status Done #assignee @{alice_name}")
    for page in (alice, bob):
        expect(messages(page).locator("article.msg-bot").first).to_contain_text("Done")
    done = column(board, "Done")
    expect(done.get_by_role("link", name="Fix login")).to_be_visible()
    expect(done.locator(".card").filter(has_text="Fix login")).to_contain_text(alice_name)

    # a move the type cannot make (a task has no Review status): toast, the card returns
    card = done.locator(".card").filter(has_text="Fix login")
    card.drag_to(column(board, "Review"))
    expect(board.locator(".toast.error")).to_be_visible()
    expect(column(board, "Done").get_by_role("link", name="Fix login")).to_be_visible()

    # alice drags it back to In Progress: the chat shows the change
    column(board, "Done").locator(".card").filter(has_text="Fix login").drag_to(
        column(board, "In Progress")
    )
    expect(column(board, "In Progress").get_by_role("link", name="Fix login")).to_be_visible()
    expect(message(bob, "In Progress").last).to_be_visible()
    assert_accessible(board)
    assert_accessible(bob)
    alice.bring_to_front()
    expect(message(alice, "In Progress").last).to_be_visible()
    screenshot_for_docs(alice, tmp_path)


def test_a_mention_rings_the_bell_and_opens_the_message(new_page: NewPage) -> None:
    alice_name, bob_name = unique("alice"), unique("bob")
    bob = new_page()
    sign_in(bob, bob_name)
    alice = new_page()
    sign_in(alice, alice_name)
    workspace_id = create_workspace(alice, "Mentions " + alice_name)
    link = invite_link(alice, workspace_id)
    bob.goto(link)
    bob.get_by_role("button", name="Accept invitation").click()
    expect(bob).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))
    live(bob)
    bell = bob.get_by_role("button", name=re.compile("^Notifications"))
    expect(bell).to_have_accessible_name("Notifications")

    alice.goto(f"/workspaces/{workspace_id}")
    create_chat(alice, "Planning", type="discussion")
    box = alice.get_by_label("Message", exact=True)
    box.press_sequentially(f"@{bob_name[:4]}")
    suggestions = alice.get_by_role("listbox", name="Suggestions")
    expect(suggestions.get_by_role("option", name=re.compile(bob_name))).to_be_visible()
    expect(suggestions.get_by_role("option")).to_have_count(1)
    box.press("Enter")  # picks the suggestion, does not send
    expect(box).to_have_value(f"@{bob_name} ")
    box.press_sequentially("#sta")
    expect(suggestions.get_by_role("option", name="#status")).to_be_visible()
    box.press("Tab")
    expect(box).to_have_value(f"@{bob_name} #status ")
    box.fill("")
    bell.click()  # open before the mention arrives: the live refresh must not close it
    latest = bob.locator(".bell-menu")
    expect(latest.get_by_text("No notifications.")).to_be_visible()
    send(alice, f"@{bob_name} please review the plan")
    expect(bell).to_have_accessible_name(re.compile(r"Notifications 1 unread"))
    expect(bob.locator("#bell")).to_have_attribute("open", "")
    expect(latest.get_by_role("button")).to_have_count(1)
    expect(latest.get_by_role("button")).to_be_visible()
    expect(latest.get_by_role("link", name="All notifications")).to_be_visible()
    assert_accessible(bob)
    latest.get_by_role("link", name="All notifications").click()
    expect(bob).to_have_url(re.compile("/notifications$"))
    assert_accessible(bob)
    bob.get_by_role("main").get_by_role("button", name=re.compile("mention", re.I)).first.click()
    expect(bob).to_have_url(re.compile(r"/chats/[\w-]+#m-"))
    expect(message(bob, "please review the plan")).to_be_visible()
    expect(bob.get_by_role("button", name=re.compile("^Notifications"))).to_have_accessible_name(
        "Notifications"
    )
    bob.goto("/notifications?filter=mentions")
    notification = bob.get_by_role("button", name=re.compile("^Delete notification"))
    expect(notification).to_have_count(1)
    bob.goto("/notifications?filter=unread")
    expect(bob.get_by_role("main")).to_contain_text("Nothing here.")
    bob.goto("/notifications")
    bob.get_by_role("button", name=re.compile("^Delete notification")).first.click()
    expect(bob.get_by_role("button", name=re.compile("^Delete notification"))).to_have_count(0)


def test_replies_live_in_a_thread_pane(new_page: NewPage) -> None:
    alice_name, bob_name = unique("alice"), unique("bob")
    alice = new_page()
    sign_in(alice, alice_name)
    workspace_id = create_workspace(alice, "Threads " + alice_name)
    link = invite_link(alice, workspace_id)
    bob = new_page()
    sign_in(bob, bob_name)
    bob.goto(link)
    bob.get_by_role("button", name="Accept invitation").click()
    expect(bob).to_have_url(re.compile(f"/workspaces/{workspace_id}$"))
    alice.goto(f"/workspaces/{workspace_id}")
    chat_id = create_chat(alice, "Design review", type="discussion")
    send(alice, "Which colour for the header?")
    bob.goto(f"/workspaces/{workspace_id}/chats/{chat_id}")
    bob.get_by_role("button", name="Join chat").click()
    expect(bob.get_by_label("Message", exact=True)).to_be_visible()
    live(bob)
    live(alice)

    question = message(bob, "Which colour for the header?")
    question.get_by_role("button", name="Reply").click()
    thread = bob.get_by_role("complementary", name="Thread")
    expect(thread).to_be_visible()
    thread.get_by_label("Reply").fill("Blue, like the logo")
    thread.get_by_role("button", name="Send reply").click()
    expect(thread.get_by_role("log", name="Replies")).to_contain_text("Blue, like the logo")
    expect(message(bob, "Blue, like the logo")).to_have_count(0)  # not in the main log

    original = message(alice, "Which colour for the header?")
    expect(original.get_by_role("button", name="1 reply")).to_be_visible()
    original.get_by_role("button", name="1 reply").click()
    alice_thread = alice.get_by_role("complementary", name="Thread")
    expect(alice_thread.get_by_role("log", name="Replies")).to_contain_text("Blue, like the logo")
    assert_accessible(alice)
    thread.get_by_label("Reply").fill("Or teal?")
    thread.get_by_role("button", name="Send reply").click()
    expect(alice_thread.get_by_role("log", name="Replies")).to_contain_text("Or teal?")
    alice.keyboard.press("Escape")
    expect(alice_thread).to_be_hidden()
