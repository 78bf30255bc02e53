"""End-to-end stories over HTTP, each told the way a team would live it: from an empty app to
a tracked task, change summaries merging in time, and mentions reaching the right inbox."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import httpx

from flowra_core.domain.user import FLOWRA_BOT_ID
from flowra_core.testing.clock import FixedClock

from .http_kit import API, Headers, Login, MakeChat


async def ok(response: Awaitable[httpx.Response], status: int = 200) -> Any:
    answered = await response
    assert answered.status_code == status, answered.text
    return answered.json() if answered.content else None


async def test_from_an_invite_to_a_tracked_task_and_back(
    client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], clock: FixedClock
) -> None:
    olga, bob = await login("olga"), await login("bob")
    workspace = await ok(client.post(f"{API}/workspaces", json={"name": "Acme"}, headers=olga), 201)
    w = f"{API}/workspaces/{workspace['id']}"

    invite = await ok(client.post(f"{w}/invites", json={}, headers=olga), 201)
    preview = await ok(client.get(f"{API}/invites/{invite['token']}", headers=bob))
    assert (preview["workspace_name"], preview["status"]) == ("Acme", "active")
    joined = await ok(client.post(f"{API}/invites/{invite['token']}/accept", headers=bob))
    assert (joined["my_role"], joined["member_count"]) == ("member", 2)

    body = {"title": "Login trouble", "participant_ids": [user_ids["bob"]]}
    chat = await ok(client.post(f"{w}/chats", json=body, headers=olga), 201)
    c = f"{w}/chats/{chat['id']}"
    clock.advance(timedelta(seconds=1))

    content = "#task Fix login #priority High #status In Progress #assignee @bob"
    sent = await ok(client.post(f"{c}/messages", json={"content": content}, headers=olga), 201)

    lines = [
        "✅ Converted to task: Fix login",
        "✅ Priority set to High",
        "✅ Status changed to In Progress",
        "✅ Assigned to @bob",
    ]
    assert sent["content"] == content
    assert sent["bot_reply"]["content"] == "\n".join(lines)
    assert (sent["bot_reply"]["type"], sent["bot_reply"]["source_message_id"]) == (
        "bot",
        sent["id"],
    )
    assert sent["tag_results"] == [
        {"tag": tag, "value": value, "ok": True, "changed": True, "code": None, "text": line}
        for (tag, value), line in zip(
            [
                ("task", "Fix login"),
                ("priority", "High"),
                ("status", "In Progress"),
                ("assignee", "@bob"),
            ],
            lines,
            strict=True,
        )
    ]

    board = await ok(client.get(f"{w}/board", headers=bob))
    [card] = board["columns"][1]["items"]
    assert (board["columns"][1]["category"], card["id"], card["title"]) == (
        "in_progress",
        chat["id"],
        "Fix login",
    )
    assert (card["status"], card["priority"], card["assignee"]["username"]) == (
        "In Progress",
        "High",
        "bob",
    )
    inbox = await ok(
        client.get(f"{API}/notifications", params={"type": "task.assigned"}, headers=bob)
    )
    assert [n["body"] for n in inbox["items"]] == ['olga assigned you to "Fix login"']

    clock.advance(timedelta(seconds=1))
    closing = await ok(client.post(f"{c}/messages", json={"content": "#close"}, headers=bob), 201)
    assert closing["bot_reply"]["content"] == "✅ Closed"
    closed = await ok(client.get(c, headers=bob))
    assert (closed["status"], closed["previous_status"]) == ("Closed", "In Progress")
    done = (await ok(client.get(f"{w}/board", headers=bob)))["columns"][3]
    assert [item["id"] for item in done["items"]] == [chat["id"]]

    clock.advance(timedelta(seconds=1))
    reopened = await ok(client.post(f"{c}/reopen", headers=bob))
    assert (reopened["status"], reopened["previous_status"]) == ("In Progress", None)

    activity = await ok(client.get(f"{c}/activity", headers=olga))
    assert [(e["type"], e["actor_id"]) for e in reversed(activity["items"])] == [
        ("chat.created", user_ids["olga"]),
        ("chat.participant_added", user_ids["olga"]),
        ("chat.participant_added", user_ids["olga"]),
        ("chat.type_changed", user_ids["olga"]),
        ("chat.priority_set", user_ids["olga"]),
        ("chat.status_changed", user_ids["olga"]),
        ("chat.user_assigned", user_ids["olga"]),
        ("chat.closed", user_ids["bob"]),
        ("chat.reopened", user_ids["bob"]),
    ]
    reopen_event = activity["items"][0]
    assert reopen_event["data"]["new_status"] == "In Progress"
    messages = await ok(client.get(f"{c}/messages", headers=olga))
    assert [m["type"] for m in reversed(messages["items"])] == [
        "user",
        "bot",
        "user",
        "bot",
        "system",
    ]
    assert messages["items"][0]["content"] == "bob reopened this task"


async def summaries(client: httpx.AsyncClient, url: str, headers: Headers) -> list[dict[str, Any]]:
    listed = await ok(client.get(f"{url}/messages", headers=headers))
    return [m for m in reversed(listed["items"]) if m["type"] == "system"]


async def test_rest_changes_within_two_seconds_merge_into_one_summary(
    client: httpx.AsyncClient,
    login: Login,
    user_ids: dict[str, str],
    workspace_id: str,
    make_chat: MakeChat,
    clock: FixedClock,
) -> None:
    chat_id = await make_chat("olga", participants=["max"], type="task")
    c = f"{API}/workspaces/{workspace_id}/chats/{chat_id}"
    olga, max_headers = await login("olga"), await login("max")

    await ok(client.patch(c, json={"status": "Done"}, headers=olga))
    clock.advance(timedelta(milliseconds=1500))
    await ok(client.patch(c, json={"priority": "High"}, headers=olga))
    clock.advance(timedelta(milliseconds=1500))  # 3 s after the first: the window moved on
    await ok(client.patch(c, json={"status": "In Progress"}, headers=olga))

    [merged] = await summaries(client, c, olga)
    assert merged["content"] == "olga changed status to In Progress and set priority to High"
    assert (merged["author_id"], merged["actor_id"]) == (FLOWRA_BOT_ID, user_ids["olga"])
    assert merged["edited_at"] is not None

    clock.advance(timedelta(milliseconds=500))
    await ok(client.patch(c, json={"priority": "Low"}, headers=max_headers))  # another actor
    clock.advance(timedelta(seconds=2))  # exactly 2 s: too late to merge
    await ok(client.patch(c, json={"priority": "Medium"}, headers=max_headers))

    assert [(s["actor_id"], s["content"]) for s in await summaries(client, c, olga)] == [
        (user_ids["olga"], "olga changed status to In Progress and set priority to High"),
        (user_ids["max"], "max set priority to Low"),
        (user_ids["max"], "max set priority to Medium"),
    ]


async def test_a_mention_notifies_the_mentioned_member_and_not_the_author(
    client: httpx.AsyncClient,
    login: Login,
    user_ids: dict[str, str],
    workspace_id: str,
    make_chat: MakeChat,
) -> None:
    chat_id = await make_chat("olga", participants=["max", "mia"], title="Launch")
    c = f"{API}/workspaces/{workspace_id}/chats/{chat_id}"
    content = "@mia and @max: ship it. Thanks, @olga."
    sent = await ok(
        client.post(f"{c}/messages", json={"content": content}, headers=await login("olga")), 201
    )
    assert set(sent["mentions"]) == {user_ids["mia"], user_ids["max"], user_ids["olga"]}

    for username in ["mia", "max"]:
        inbox = await ok(
            client.get(
                f"{API}/notifications",
                params={"type": "chat.mention"},
                headers=await login(username),
            )
        )
        [notification] = inbox["items"]
        assert notification == {
            **notification,
            "type": "chat.mention",
            "title": "You were mentioned",
            "body": 'olga mentioned you in "Launch"',
            "workspace_id": workspace_id,
            "chat_id": chat_id,
            "message_id": sent["id"],
            "actor_id": user_ids["olga"],
            "is_read": False,
        }
    author = await ok(client.get(f"{API}/notifications", headers=await login("olga")))
    assert author["items"] == []
