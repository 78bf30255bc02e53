"""Messages over HTTP: edit, delete, reactions, replies and the read marker (`C/read`).

Acme is owned by olga; adam is an admin, max and mia are members, zed belongs to no workspace.
`chat_id` is olga's public discussion in which max takes part (mia can read it, not write).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import STEP, Headers, Login, MakeChat, assert_problem_code, chat_url, send

THUMBS_UP = "👍"


@pytest.fixture
def url(workspace_id: str, chat_id: str) -> str:
    """The chat's messages."""
    return chat_url(workspace_id, chat_id) + "/messages"


async def fetch(client: httpx.AsyncClient, url: str, headers: Headers) -> dict[str, Any]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestEdit:
    async def test_the_author_edits_and_mentions_are_recomputed(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], url: str
    ) -> None:
        headers = await login("max")
        message = await send(client, url, headers, "Hi @mia")
        response = await client.patch(
            f"{url}/{message['id']}", json={"content": "Hi @olga"}, headers=headers
        )
        assert response.status_code == 200
        body = response.json()
        assert body["content"] == "Hi @olga"
        assert body["mentions"] == [user_ids["olga"]]
        assert body["edited_at"] is not None
        assert (await fetch(client, f"{url}/{message['id']}", headers))["content"] == "Hi @olga"

    async def test_only_the_author_may_edit_even_with_invalid_content(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        message = await send(client, url, await login("max"), "Mine")
        for body in [{"content": "Theirs"}, {"content": ""}]:
            response = await client.patch(
                f"{url}/{message['id']}", json=body, headers=await login("olga")
            )
            assert_problem_code(response, 403, "FORBIDDEN")
        assert (await fetch(client, f"{url}/{message['id']}", await login("max")))["content"] == (
            "Mine"
        )

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "content"),
            ({"content": None}, "content"),
            ({"content": 3}, "content"),
            ({"content": " "}, "content"),
            ({"content": "x" * 10001}, "content"),
            ({"content": "ok", "pinned": True}, "pinned"),
        ],
    )
    async def test_invalid_content_is_422_and_changes_nothing(
        self,
        client: httpx.AsyncClient,
        login: Login,
        url: str,
        body: dict[str, Any],
        field: str,
    ) -> None:
        headers = await login("max")
        message = await send(client, url, headers, "Original")
        response = await client.patch(f"{url}/{message['id']}", json=body, headers=headers)
        assert_problem_code(response, 422, "VALIDATION_ERROR", field)
        assert (await fetch(client, f"{url}/{message['id']}", headers))["content"] == "Original"

    async def test_a_deleted_message_cannot_be_edited(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        headers = await login("max")
        message = await send(client, url, headers, "Soon gone")
        await client.delete(f"{url}/{message['id']}", headers=headers)
        response = await client.patch(
            f"{url}/{message['id']}", json={"content": "Back"}, headers=headers
        )
        assert_problem_code(response, 410, "MESSAGE_DELETED")

    async def test_an_unknown_message_is_not_found(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        response = await client.patch(
            f"{url}/nope", json={"content": "x"}, headers=await login("max")
        )
        assert_problem_code(response, 404, "MESSAGE_NOT_FOUND")


class TestDelete:
    @pytest.mark.parametrize("deleter", ["max", "olga", "adam"])
    async def test_author_chat_admin_and_workspace_admin_may_delete(
        self, client: httpx.AsyncClient, login: Login, url: str, deleter: str
    ) -> None:
        message = await send(client, url, await login("max"), "Delete me")
        response = await client.delete(f"{url}/{message['id']}", headers=await login(deleter))
        assert response.status_code == 204
        assert response.content == b""
        tombstone = await fetch(client, f"{url}/{message['id']}", await login("max"))
        assert tombstone["is_deleted"] is True
        assert tombstone["content"] == ""

    async def test_another_member_may_not_delete(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        message = await send(client, url, await login("olga"), "Keep me")
        response = await client.delete(f"{url}/{message['id']}", headers=await login("max"))
        assert_problem_code(response, 403, "FORBIDDEN")
        assert not (await fetch(client, f"{url}/{message['id']}", await login("max")))["is_deleted"]

    async def test_deleting_twice_is_gone(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        headers = await login("max")
        message = await send(client, url, headers, "Once")
        await client.delete(f"{url}/{message['id']}", headers=headers)
        response = await client.delete(f"{url}/{message['id']}", headers=headers)
        assert_problem_code(response, 410, "MESSAGE_DELETED")

    async def test_a_non_member_does_not_see_the_workspace(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        message = await send(client, url, await login("max"), "Hi")
        response = await client.delete(f"{url}/{message['id']}", headers=await login("zed"))
        assert_problem_code(response, 404, "WORKSPACE_NOT_FOUND")


class TestReplies:
    async def test_replies_come_oldest_first_in_pages(
        self, client: httpx.AsyncClient, login: Login, url: str, clock: FixedClock
    ) -> None:
        headers = await login("max")
        root = await send(client, url, headers, "Root")
        for text in ["r1", "r2", "r3"]:
            clock.advance(STEP)
            await send(client, url, headers, text, parent_id=root["id"])

        replies_url = f"{url}/{root['id']}/replies"
        first = await client.get(replies_url, params={"limit": 2}, headers=await login("mia"))
        assert [m["content"] for m in first.json()["items"]] == ["r1", "r2"]
        second = await client.get(
            replies_url,
            params={"limit": 2, "cursor": first.json()["next_cursor"]},
            headers=await login("mia"),
        )
        assert [m["content"] for m in second.json()["items"]] == ["r3"]
        assert second.json()["next_cursor"] is None

    async def test_replies_of_an_unknown_message_are_not_found(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        response = await client.get(f"{url}/nope/replies", headers=await login("max"))
        assert_problem_code(response, 404, "MESSAGE_NOT_FOUND")

    async def test_a_bad_limit_is_422(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        headers = await login("max")
        root = await send(client, url, headers, "Root")
        response = await client.get(
            f"{url}/{root['id']}/replies", params={"limit": "-1"}, headers=headers
        )
        assert_problem_code(response, 422, "VALIDATION_ERROR", "limit")


class TestReactions:
    async def test_reactions_are_grouped_in_first_use_order_with_me(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], url: str
    ) -> None:
        message = await send(client, url, await login("max"), "React")
        reactions = f"{url}/{message['id']}/reactions"
        await client.put(f"{reactions}/{quote('🎉')}", headers=await login("olga"))
        await client.put(f"{reactions}/{quote(THUMBS_UP)}", headers=await login("max"))
        response = await client.put(f"{reactions}/{quote('🎉')}", headers=await login("max"))

        assert response.status_code == 200
        assert response.json()["reactions"] == [
            {
                "emoji": "🎉",
                "count": 2,
                "user_ids": [user_ids["olga"], user_ids["max"]],
                "me": True,
            },
            {"emoji": THUMBS_UP, "count": 1, "user_ids": [user_ids["max"]], "me": True},
        ]
        seen_by_olga = await fetch(client, f"{url}/{message['id']}", await login("olga"))
        assert [r["me"] for r in seen_by_olga["reactions"]] == [True, False]

    async def test_adding_and_removing_are_idempotent(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        headers = await login("max")
        message = await send(client, url, headers, "React")
        reaction = f"{url}/{message['id']}/reactions/{quote(THUMBS_UP)}"
        first = await client.put(reaction, headers=headers)
        again = await client.put(reaction, headers=headers)
        assert first.json()["reactions"] == again.json()["reactions"]
        assert again.json()["reactions"][0]["count"] == 1

        removed = await client.delete(reaction, headers=headers)
        assert removed.status_code == 200
        assert removed.json()["reactions"] == []
        removed_again = await client.delete(reaction, headers=headers)
        assert removed_again.status_code == 200
        assert removed_again.json()["reactions"] == []

    @pytest.mark.parametrize("emoji", ["x" * 33, "a b"])
    async def test_an_invalid_emoji_is_422(
        self, client: httpx.AsyncClient, login: Login, url: str, emoji: str
    ) -> None:
        headers = await login("max")
        message = await send(client, url, headers, "React")
        response = await client.put(
            f"{url}/{message['id']}/reactions/{quote(emoji)}", headers=headers
        )
        assert_problem_code(response, 422, "VALIDATION_ERROR", "emoji")
        assert (await fetch(client, f"{url}/{message['id']}", headers))["reactions"] == []

    async def test_a_reader_who_is_not_a_participant_cannot_react(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        message = await send(client, url, await login("max"), "React")
        reaction = f"{url}/{message['id']}/reactions/{quote(THUMBS_UP)}"
        for method in ["PUT", "DELETE"]:
            response = await client.request(method, reaction, headers=await login("mia"))
            assert_problem_code(response, 403, "NOT_PARTICIPANT")

    async def test_a_deleted_message_takes_no_reactions(
        self, client: httpx.AsyncClient, login: Login, url: str
    ) -> None:
        headers = await login("max")
        message = await send(client, url, headers, "React")
        await client.delete(f"{url}/{message['id']}", headers=headers)
        reaction = f"{url}/{message['id']}/reactions/{quote(THUMBS_UP)}"
        for method in ["PUT", "DELETE"]:
            response = await client.request(method, reaction, headers=headers)
            assert_problem_code(response, 410, "MESSAGE_DELETED")


class TestMarkRead:
    async def test_without_a_body_the_marker_moves_to_the_newest_message(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        url: str,
        clock: FixedClock,
    ) -> None:
        olga = await login("olga")
        await send(client, url, olga, "one")
        clock.advance(STEP)
        newest = await send(client, url, olga, "two")

        response = await client.post(
            chat_url(workspace_id, chat_id) + "/read", headers=await login("max")
        )
        assert response.status_code == 200
        assert response.json() == {
            "chat_id": chat_id,
            "last_read_message_id": newest["id"],
            "unread_count": 0,
        }

    async def test_a_given_message_never_moves_the_marker_backwards(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        url: str,
        clock: FixedClock,
    ) -> None:
        olga, max_ = await login("olga"), await login("max")
        first = await send(client, url, olga, "one")
        clock.advance(STEP)
        second = await send(client, url, olga, "two")
        read_url = chat_url(workspace_id, chat_id) + "/read"

        at_first = await client.post(read_url, json={"message_id": first["id"]}, headers=max_)
        assert at_first.json()["last_read_message_id"] == first["id"]
        assert at_first.json()["unread_count"] == 1
        await client.post(read_url, json={"message_id": second["id"]}, headers=max_)
        back = await client.post(read_url, json={"message_id": first["id"]}, headers=max_)
        assert back.json()["last_read_message_id"] == second["id"]
        assert back.json()["unread_count"] == 0

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"message_id": "nope"}, "message_id"),
            ({"message_id": 12}, "message_id"),
            ({"message": "x"}, "message"),
        ],
    )
    async def test_invalid_input_is_422(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        body: dict[str, Any],
        field: str,
    ) -> None:
        response = await client.post(
            chat_url(workspace_id, chat_id) + "/read", json=body, headers=await login("max")
        )
        assert_problem_code(response, 422, "VALIDATION_ERROR", field)

    async def test_a_message_of_another_chat_is_422(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        make_chat: MakeChat,
    ) -> None:
        other_chat = await make_chat("olga", participants=["max"], title="Other")
        headers = await login("max")
        foreign = await send(client, chat_url(workspace_id, other_chat) + "/messages", headers, "x")
        response = await client.post(
            chat_url(workspace_id, chat_id) + "/read",
            json={"message_id": foreign["id"]},
            headers=headers,
        )
        assert_problem_code(response, 422, "VALIDATION_ERROR", "message_id")

    async def test_garbage_is_malformed(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        headers = {**await login("max"), "content-type": "application/json"}
        response = await client.post(
            chat_url(workspace_id, chat_id) + "/read", content=b"{oops", headers=headers
        )
        assert_problem_code(response, 400, "MALFORMED_REQUEST")

    async def test_only_participants_have_a_marker(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        read_url = chat_url(workspace_id, chat_id) + "/read"
        assert_problem_code(
            await client.post(read_url, headers=await login("mia")), 403, "NOT_PARTICIPANT"
        )
        assert_problem_code(
            await client.post(read_url, headers=await login("zed")), 404, "WORKSPACE_NOT_FOUND"
        )
