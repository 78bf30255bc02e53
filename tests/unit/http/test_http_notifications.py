"""Notifications over HTTP: the caller's inbox, its filters, counts, marking and deleting.

Acme is owned by olga (adam admin, max and mia members). In `inbox`, olga adds mia and max to
"Launch" (a `chat.added` each), then mentions mia (a `chat.mention`); mia also belongs to
otto's Globex, where otto adds her to "Deal" (a `chat.added`). Newest first, mia's inbox reads:
Globex chat.added, Acme chat.mention, Acme chat.added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import STEP, Headers, Login, MakeChat, assert_problem_code

URL = "/api/v1/notifications"
NOTIFICATION_FIELDS = {
    "id",
    "type",
    "title",
    "body",
    "workspace_id",
    "chat_id",
    "message_id",
    "actor_id",
    "is_read",
    "read_at",
    "created_at",
}


@dataclass(frozen=True)
class Inbox:
    acme_chat_id: str
    mention_message_id: str
    globex_id: str


@pytest.fixture
async def inbox(
    client: httpx.AsyncClient,
    login: Login,
    make_chat: MakeChat,
    workspace_id: str,
    other_workspace_id: str,
    clock: FixedClock,
) -> Inbox:
    chat_id = await make_chat("olga", participants=["mia", "max"])
    clock.advance(STEP)
    sent = await client.post(
        f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}/messages",
        json={"content": "@mia please look"},
        headers=await login("olga"),
    )
    assert sent.status_code == 201
    clock.advance(STEP)
    added = await client.post(
        f"/api/v1/workspaces/{other_workspace_id}/members",
        json={"username": "mia"},
        headers=await login("otto"),
    )
    assert added.status_code == 201
    await make_chat("otto", participants=["mia"], in_workspace=other_workspace_id, title="Deal")
    return Inbox(chat_id, sent.json()["id"], other_workspace_id)


async def items(client: httpx.AsyncClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


async def unread(client: httpx.AsyncClient, headers: Headers, **params: Any) -> int:
    response = await client.get(f"{URL}/unread-count", params=params, headers=headers)
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


class TestList:
    async def test_the_inbox_comes_newest_first(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        inbox: Inbox,
    ) -> None:
        found = await items(client, await login("mia"))

        assert [(n["type"], n["workspace_id"]) for n in found] == [
            ("chat.added", inbox.globex_id),
            ("chat.mention", workspace_id),
            ("chat.added", workspace_id),
        ]
        mention = found[1]
        assert set(mention) == NOTIFICATION_FIELDS
        assert mention["chat_id"] == inbox.acme_chat_id
        assert mention["message_id"] == inbox.mention_message_id
        assert mention["actor_id"] == user_ids["olga"]
        assert mention["is_read"] is False
        assert mention["read_at"] is None
        assert mention["title"]
        assert mention["created_at"].endswith("Z")
        assert [n["type"] for n in await items(client, await login("max"))] == ["chat.added"]

    @pytest.mark.parametrize(("value", "count"), [("true", 2), ("1", 2), ("false", 3), ("0", 3)])
    async def test_unread_only_takes_query_booleans(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox, value: str, count: int
    ) -> None:
        headers = await login("mia")
        oldest = (await items(client, headers))[-1]
        await client.post(f"{URL}/{oldest['id']}/read", headers=headers)
        assert len(await items(client, headers, unread_only=value)) == count

    @pytest.mark.parametrize("value", ["chat.mention", "CHAT.Mention"])
    async def test_the_type_filter_is_case_insensitive(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox, value: str
    ) -> None:
        found = await items(client, await login("mia"), type=value)
        assert [n["message_id"] for n in found] == [inbox.mention_message_id]

    async def test_the_workspace_filter_narrows_list_and_count(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, inbox: Inbox
    ) -> None:
        headers = await login("mia")
        found = await items(client, headers, workspace_id=workspace_id)
        assert {n["workspace_id"] for n in found} == {workspace_id}
        assert len(found) == 2
        assert await unread(client, headers, workspace_id=inbox.globex_id) == 1
        assert await unread(client, headers) == 3

    async def test_pages_follow_the_cursor(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox
    ) -> None:
        headers = await login("mia")
        first = (await client.get(URL, params={"limit": 2}, headers=headers)).json()
        second = (
            await client.get(
                URL, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
            )
        ).json()
        assert [n["type"] for n in first["items"] + second["items"]] == [
            "chat.added",
            "chat.mention",
            "chat.added",
        ]
        assert second["next_cursor"] is None

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"unread_only": "yes"}, "unread_only"),
            ({"type": "task.exploded"}, "type"),
            ({"limit": "0"}, "limit"),
            ({"limit": "x"}, "limit"),
            ({"cursor": "garbage"}, "cursor"),
        ],
    )
    async def test_bad_parameters_are_422(
        self, client: httpx.AsyncClient, login: Login, params: dict[str, str], field: str
    ) -> None:
        response = await client.get(URL, params=params, headers=await login("mia"))
        assert_problem_code(response, 422, "VALIDATION_ERROR", field)

    async def test_a_cursor_is_bound_to_its_filters(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox
    ) -> None:
        headers = await login("mia")
        page = (await client.get(URL, params={"limit": 1}, headers=headers)).json()
        response = await client.get(
            URL, params={"cursor": page["next_cursor"], "unread_only": "true"}, headers=headers
        )
        assert_problem_code(response, 422, "VALIDATION_ERROR", "cursor")

    async def test_notifications_of_a_workspace_left_are_not_shown(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, inbox: Inbox
    ) -> None:
        headers = await login("mia")
        left = await client.post(f"/api/v1/workspaces/{workspace_id}/leave", headers=headers)
        assert left.status_code == 204
        assert {n["workspace_id"] for n in await items(client, headers)} == {inbox.globex_id}
        assert await unread(client, headers) == 1
        assert await items(client, headers, workspace_id=workspace_id) == []

    async def test_an_anonymous_caller_is_unauthenticated(self, client: httpx.AsyncClient) -> None:
        assert_problem_code(await client.get(URL), 401, "UNAUTHENTICATED")
        assert_problem_code(await client.get(f"{URL}/unread-count"), 401, "UNAUTHENTICATED")


class TestMarkRead:
    async def test_marking_one_read_is_idempotent(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox, clock: FixedClock
    ) -> None:
        headers = await login("mia")
        mention = (await items(client, headers, type="chat.mention"))[0]

        response = await client.post(f"{URL}/{mention['id']}/read", headers=headers)
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == mention["id"]
        assert body["is_read"] is True
        assert body["read_at"] is not None
        clock.advance(STEP)
        again = await client.post(f"{URL}/{mention['id']}/read", headers=headers)
        assert again.json()["read_at"] == body["read_at"]
        assert await unread(client, headers) == 2

    async def test_someone_elses_notification_is_not_found(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox
    ) -> None:
        mention = (await items(client, await login("mia"), type="chat.mention"))[0]
        for notification_id in [mention["id"], "nope"]:
            response = await client.post(
                f"{URL}/{notification_id}/read", headers=await login("max")
            )
            assert_problem_code(response, 404, "NOTIFICATION_NOT_FOUND")
        assert await unread(client, await login("mia")) == 3

    async def test_read_all_marks_every_visible_notification(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox
    ) -> None:
        headers = await login("mia")
        response = await client.post(f"{URL}/read-all", headers=headers)
        assert response.status_code == 200
        assert response.json() == {"marked_count": 3}
        assert await unread(client, headers) == 0
        again = await client.post(f"{URL}/read-all", headers=headers)
        assert again.json() == {"marked_count": 0}

    async def test_read_all_can_be_limited_to_one_workspace(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, inbox: Inbox
    ) -> None:
        headers = await login("mia")
        response = await client.post(
            f"{URL}/read-all", json={"workspace_id": workspace_id}, headers=headers
        )
        assert response.json() == {"marked_count": 2}
        assert await unread(client, headers) == 1
        assert await unread(client, headers, workspace_id=inbox.globex_id) == 1

    @pytest.mark.parametrize(
        ("body", "field"), [({"workspace_id": 5}, "workspace_id"), ({"all": True}, "all")]
    )
    async def test_read_all_with_invalid_input_is_422(
        self,
        client: httpx.AsyncClient,
        login: Login,
        inbox: Inbox,
        body: dict[str, Any],
        field: str,
    ) -> None:
        headers = await login("mia")
        response = await client.post(f"{URL}/read-all", json=body, headers=headers)
        assert_problem_code(response, 422, "VALIDATION_ERROR", field)
        assert await unread(client, headers) == 3

    async def test_read_all_with_garbage_is_malformed(
        self, client: httpx.AsyncClient, login: Login
    ) -> None:
        headers = {**await login("mia"), "content-type": "application/json"}
        response = await client.post(f"{URL}/read-all", content=b"[1,", headers=headers)
        assert_problem_code(response, 400, "MALFORMED_REQUEST")


class TestDelete:
    async def test_a_deleted_notification_is_gone(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox
    ) -> None:
        headers = await login("mia")
        mention = (await items(client, headers, type="chat.mention"))[0]

        response = await client.delete(f"{URL}/{mention['id']}", headers=headers)
        assert response.status_code == 204
        assert mention["id"] not in [n["id"] for n in await items(client, headers)]
        assert await unread(client, headers) == 2
        assert_problem_code(
            await client.delete(f"{URL}/{mention['id']}", headers=headers),
            404,
            "NOTIFICATION_NOT_FOUND",
        )

    async def test_someone_elses_notification_cannot_be_deleted(
        self, client: httpx.AsyncClient, login: Login, inbox: Inbox
    ) -> None:
        mention = (await items(client, await login("mia"), type="chat.mention"))[0]
        response = await client.delete(f"{URL}/{mention['id']}", headers=await login("olga"))
        assert_problem_code(response, 404, "NOTIFICATION_NOT_FOUND")
        assert len(await items(client, await login("mia"))) == 3
