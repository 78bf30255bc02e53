"""Messages over HTTP: send (with tags, threads, mentions, attachments), list and get.

Acme is owned by olga; adam is an admin, max and mia are members, zed belongs to no workspace.
`chat_id` is olga's public discussion "Launch" in which max takes part (mia can read it but not
write); `private_chat_id` is olga's private discussion with max.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import STEP, Headers, Login, MakeChat, assert_problem, messages_url, send

MESSAGE_FIELDS = {
    "id",
    "chat_id",
    "workspace_id",
    "author_id",
    "author",
    "type",
    "content",
    "parent_id",
    "reply_count",
    "last_reply_at",
    "attachments",
    "reactions",
    "mentions",
    "actor_id",
    "source_message_id",
    "created_at",
    "edited_at",
    "is_deleted",
    "deleted_at",
}


async def listed(client: httpx.AsyncClient, url: str, headers: Headers) -> list[dict[str, Any]]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestSend:
    async def test_a_plain_message_is_created_with_its_location(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        chat_id: str,
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        response = await client.post(url, json={"content": "Hello"}, headers=await login("max"))

        assert response.status_code == 201
        body = response.json()
        assert set(body) == MESSAGE_FIELDS | {"bot_reply", "tag_results"}
        assert response.headers["location"] == f"{url}/{body['id']}"
        assert body["chat_id"] == chat_id
        assert body["workspace_id"] == workspace_id
        assert body["author_id"] == user_ids["max"]
        assert body["author"] == {"id": user_ids["max"], "username": "max", "display_name": "max"}
        assert body["type"] == "user"
        assert body["content"] == "Hello"
        assert body["parent_id"] is None
        assert body["reply_count"] == 0
        assert body["is_deleted"] is False
        assert body["bot_reply"] is None
        assert body["tag_results"] is None
        assert body["created_at"].endswith("Z")
        fetched = await client.get(response.headers["location"], headers=await login("olga"))
        assert fetched.json()["content"] == "Hello"

    async def test_tag_lines_are_applied_and_answered_by_the_bot(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, make_chat: MakeChat
    ) -> None:
        task_id = await make_chat("olga", type="task", title="Fix login")
        content = "Ready\n#priority high #foo"

        body = await send(client, messages_url(workspace_id, task_id), await login("olga"), content)

        assert body["content"] == content  # stored raw, tag lines included
        assert body["tag_results"] == [
            {
                "tag": "priority",
                "value": "high",
                "ok": True,
                "changed": True,
                "code": None,
                "text": "✅ Priority set to High",
            },
            {
                "tag": "foo",
                "value": "",
                "ok": False,
                "changed": False,
                "code": "UNKNOWN_TAG",
                "text": "❌ #foo: unknown tag",
            },
        ]
        reply = body["bot_reply"]
        assert set(reply) == MESSAGE_FIELDS
        assert reply["type"] == "bot"
        assert reply["author"]["display_name"] == "Flowra Bot"
        assert reply["source_message_id"] == body["id"]
        assert reply["content"] == "✅ Priority set to High\n❌ #foo: unknown tag"

    async def test_a_reply_joins_the_thread_and_stays_out_of_the_top_level_list(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        clock: FixedClock,
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        headers = await login("max")
        root = await send(client, url, headers, "Root")
        clock.advance(STEP)
        reply = await send(client, url, headers, "Reply", parent_id=root["id"])
        clock.advance(STEP)
        nested = await send(client, url, headers, "Nested", parent_id=reply["id"])

        assert reply["parent_id"] == root["id"]
        assert nested["parent_id"] == root["id"]  # threads are one level deep
        top_level = await listed(client, url, headers)
        assert [m["id"] for m in top_level] == [root["id"]]
        assert top_level[0]["reply_count"] == 2
        assert top_level[0]["last_reply_at"] == nested["created_at"]

    async def test_mentions_resolve_to_workspace_members_only(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        chat_id: str,
    ) -> None:
        await login("zed")
        url = messages_url(workspace_id, chat_id)
        body = await send(client, url, await login("max"), "@mia and @zed, see @Olga.")
        assert set(body["mentions"]) == {user_ids["mia"], user_ids["olga"]}

    async def test_uploaded_files_become_attachments(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        headers = await login("max")
        upload = await client.post(
            f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}/files",
            files={"file": ("plan v2.pdf", b"%PDF-1.4", "application/pdf")},
            headers=headers,
        )
        file_id = upload.json()["id"]

        body = await send(
            client, messages_url(workspace_id, chat_id), headers, "", attachment_ids=[file_id]
        )

        assert body["attachments"] == [
            {
                "file_id": file_id,
                "file_name": "plan v2.pdf",
                "file_size": 8,
                "mime_type": "application/pdf",
                "url": f"/api/v1/files/{file_id}/plan%20v2.pdf",
            }
        ]


class TestSendRefusals:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "content"),
            ({"content": None}, "content"),
            ({"content": "  \n "}, "content"),
            ({"content": "x" * 10001}, "content"),
            ({"content": 5}, "content"),
            ({"content": "hi", "parent_id": "no-such-message"}, "parent_id"),
            ({"content": "hi", "parent_id": 7}, "parent_id"),
            ({"content": "hi", "attachment_ids": "f1"}, "attachment_ids"),
            ({"content": "hi", "attachment_ids": [1]}, "attachment_ids[0]"),
            ({"content": "hi", "attachment_ids": ["nope"]}, "attachment_ids[0]"),
            ({"content": "hi", "author_id": "someone"}, "author_id"),
        ],
    )
    async def test_invalid_input_is_422_on_the_field_and_stores_nothing(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        body: dict[str, Any],
        field: str,
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        headers = await login("max")
        response = await client.post(url, json=body, headers=headers)
        assert_problem(response, 422, "VALIDATION_ERROR", field)
        assert await listed(client, url, headers) == []

    async def test_more_than_ten_attachments_are_refused_past_the_tenth(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        headers = await login("max")
        ids = []
        for number in range(11):
            upload = await client.post(
                f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}/files",
                files={"file": (f"n{number}.txt", b"x", "text/plain")},
                headers=headers,
            )
            ids.append(upload.json()["id"])
        url = messages_url(workspace_id, chat_id)
        response = await client.post(url, json={"attachment_ids": ids}, headers=headers)
        assert_problem(response, 422, "VALIDATION_ERROR", "attachment_ids[10]")

    async def test_a_parent_from_another_chat_is_refused(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        make_chat: MakeChat,
    ) -> None:
        other_chat = await make_chat("olga", participants=["max"], title="Other")
        headers = await login("max")
        foreign = await send(client, messages_url(workspace_id, other_chat), headers, "There")
        url = messages_url(workspace_id, chat_id)
        response = await client.post(
            url, json={"content": "hi", "parent_id": foreign["id"]}, headers=headers
        )
        assert_problem(response, 422, "VALIDATION_ERROR", "parent_id")

    @pytest.mark.parametrize("owner", ["another chat", "another uploader", "another message"])
    async def test_a_file_not_free_for_this_message_is_refused(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        make_chat: MakeChat,
        owner: str,
    ) -> None:
        other_chat = await make_chat("olga", participants=["max"], title="Other")
        uploader = "olga" if owner == "another uploader" else "max"
        target = other_chat if owner == "another chat" else chat_id
        upload = await client.post(
            f"/api/v1/workspaces/{workspace_id}/chats/{target}/files",
            files={"file": ("a.txt", b"x", "text/plain")},
            headers=await login(uploader),
        )
        file_id = upload.json()["id"]
        url = messages_url(workspace_id, chat_id)
        headers = await login("max")
        if owner == "another message":
            await send(client, url, headers, "First", attachment_ids=[file_id])
        response = await client.post(
            url, json={"content": "again", "attachment_ids": [file_id]}, headers=headers
        )
        assert_problem(response, 422, "VALIDATION_ERROR", "attachment_ids[0]")

    @pytest.mark.parametrize(
        ("content", "content_type", "status", "code"),
        [
            (b"{not json", "application/json", 400, "MALFORMED_REQUEST"),
            (b'["hi"]', "application/json", 400, "MALFORMED_REQUEST"),
            (b"hi", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ],
    )
    async def test_an_unreadable_body_is_refused(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        content: bytes,
        content_type: str,
        status: int,
        code: str,
    ) -> None:
        headers = {**await login("max"), "content-type": content_type}
        url = messages_url(workspace_id, chat_id)
        response = await client.post(url, content=content, headers=headers)
        assert_problem(response, status, code)
        assert await listed(client, url, await login("max")) == []

    async def test_a_reader_who_is_not_a_participant_cannot_send(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        response = await client.post(url, json={"content": "hi"}, headers=await login("mia"))
        assert_problem(response, 403, "NOT_PARTICIPANT")
        assert await listed(client, url, await login("mia")) == []

    async def test_forbidden_comes_before_validation(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        response = await client.post(url, json={"content": ""}, headers=await login("mia"))
        assert_problem(response, 403, "NOT_PARTICIPANT")

    async def test_a_private_chat_is_not_found_for_a_non_participant(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, private_chat_id: str
    ) -> None:
        url = messages_url(workspace_id, private_chat_id)
        response = await client.post(url, json={"content": ""}, headers=await login("mia"))
        assert_problem(response, 404, "CHAT_NOT_FOUND")

    async def test_a_deleted_chat_is_not_found(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        deleted = await client.delete(
            f"/api/v1/workspaces/{workspace_id}/chats/{chat_id}", headers=await login("olga")
        )
        assert deleted.status_code == 204
        url = messages_url(workspace_id, chat_id)
        response = await client.post(url, json={"content": "hi"}, headers=await login("max"))
        assert_problem(response, 404, "CHAT_NOT_FOUND")

    @pytest.mark.parametrize("chat", ["unknown", "of another workspace"])
    async def test_a_chat_outside_the_workspace_is_not_found(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        other_workspace_id: str,
        make_chat: MakeChat,
        chat: str,
    ) -> None:
        foreign = await make_chat("otto", in_workspace=other_workspace_id)
        target = "0b7e4a8e-0000-4000-8000-000000000000" if chat == "unknown" else foreign
        url = messages_url(workspace_id, target)
        response = await client.post(url, json={"content": "hi"}, headers=await login("olga"))
        assert_problem(response, 404, "CHAT_NOT_FOUND")

    async def test_a_non_member_does_not_see_the_workspace(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        response = await client.post(url, json={"content": "hi"}, headers=await login("zed"))
        assert_problem(response, 404, "WORKSPACE_NOT_FOUND")

    async def test_a_malformed_workspace_id_is_not_found(
        self, client: httpx.AsyncClient, login: Login, chat_id: str
    ) -> None:
        url = messages_url("not a workspace", chat_id)
        response = await client.post(url, json={"content": "hi"}, headers=await login("max"))
        assert_problem(response, 404, "WORKSPACE_NOT_FOUND")

    async def test_an_anonymous_caller_is_unauthenticated(
        self, client: httpx.AsyncClient, workspace_id: str, chat_id: str
    ) -> None:
        response = await client.post(messages_url(workspace_id, chat_id), json={"content": "hi"})
        assert_problem(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"] == "Bearer"


class TestList:
    async def test_top_level_messages_come_newest_first_in_pages(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        clock: FixedClock,
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        headers = await login("max")
        sent = []
        for text in ["one", "two", "three"]:
            sent.append((await send(client, url, headers, text))["id"])
            clock.advance(STEP)

        first = await client.get(url, params={"limit": 2}, headers=headers)
        page = first.json()
        assert [m["content"] for m in page["items"]] == ["three", "two"]
        assert set(page["items"][0]) == MESSAGE_FIELDS
        second = await client.get(
            url, params={"limit": 2, "cursor": page["next_cursor"]}, headers=headers
        )
        assert [m["id"] for m in second.json()["items"]] == [sent[0]]
        assert second.json()["next_cursor"] is None

    async def test_tombstones_are_listed_without_content(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        headers = await login("max")
        message = await send(client, url, headers, "Oops @mia")
        assert (await client.delete(f"{url}/{message['id']}", headers=headers)).status_code == 204

        [tombstone] = await listed(client, url, headers)
        assert tombstone["id"] == message["id"]
        assert tombstone["is_deleted"] is True
        assert tombstone["deleted_at"] is not None
        assert tombstone["content"] == ""
        assert tombstone["mentions"] == []

    async def test_a_public_chat_is_readable_by_members_and_system_admins(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
        chat_id: str,
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        await send(client, url, await login("max"), "Hi all")
        for headers in [await login("mia"), await login_sysadmin("root")]:
            assert [m["content"] for m in await listed(client, url, headers)] == ["Hi all"]

    async def test_a_private_chat_is_hidden_from_non_participants(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
        private_chat_id: str,
    ) -> None:
        url = messages_url(workspace_id, private_chat_id)
        await send(client, url, await login("max"), "Just us")
        for user in ["mia", "adam"]:
            assert_problem(await client.get(url, headers=await login(user)), 404, "CHAT_NOT_FOUND")
        assert_problem(
            await client.get(url, headers=await login("zed")), 404, "WORKSPACE_NOT_FOUND"
        )
        assert len(await listed(client, url, await login_sysadmin("root"))) == 1

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": "0"}, "limit"),
            ({"limit": "101"}, "limit"),
            ({"limit": "many"}, "limit"),
            ({"cursor": "not-a-cursor"}, "cursor"),
        ],
    )
    async def test_bad_paging_parameters_are_422(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        params: dict[str, str],
        field: str,
    ) -> None:
        response = await client.get(
            messages_url(workspace_id, chat_id), params=params, headers=await login("max")
        )
        assert_problem(response, 422, "VALIDATION_ERROR", field)

    async def test_a_cursor_of_another_chat_is_refused(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        make_chat: MakeChat,
    ) -> None:
        other_chat = await make_chat("olga", participants=["max"], title="Other")
        headers = await login("max")
        other_url = messages_url(workspace_id, other_chat)
        for text in ["a", "b"]:
            await send(client, other_url, headers, text)
        page = (await client.get(other_url, params={"limit": 1}, headers=headers)).json()
        response = await client.get(
            messages_url(workspace_id, chat_id),
            params={"cursor": page["next_cursor"]},
            headers=headers,
        )
        assert_problem(response, 422, "VALIDATION_ERROR", "cursor")


class TestGet:
    async def test_a_message_a_reply_and_a_tombstone_can_be_fetched(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chat_id: str
    ) -> None:
        url = messages_url(workspace_id, chat_id)
        headers = await login("max")
        root = await send(client, url, headers, "Root")
        reply = await send(client, url, headers, "Reply", parent_id=root["id"])
        gone = await send(client, url, headers, "Gone")
        await client.delete(f"{url}/{gone['id']}", headers=headers)

        reader = await login("mia")
        fetched = await client.get(f"{url}/{root['id']}", headers=reader)
        assert fetched.status_code == 200
        assert fetched.json()["reply_count"] == 1
        assert (await client.get(f"{url}/{reply['id']}", headers=reader)).json()["parent_id"] == (
            root["id"]
        )
        assert (await client.get(f"{url}/{gone['id']}", headers=reader)).json()["is_deleted"]

    async def test_a_message_of_another_chat_is_not_found_here(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chat_id: str,
        make_chat: MakeChat,
    ) -> None:
        other_chat = await make_chat("olga", participants=["max"], title="Other")
        headers = await login("max")
        foreign = await send(client, messages_url(workspace_id, other_chat), headers, "There")
        for message_id in [foreign["id"], "not-an-id"]:
            response = await client.get(
                f"{messages_url(workspace_id, chat_id)}/{message_id}", headers=headers
            )
            assert_problem(response, 404, "MESSAGE_NOT_FOUND")

    async def test_a_message_of_a_private_chat_is_not_found_for_others(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, private_chat_id: str
    ) -> None:
        url = messages_url(workspace_id, private_chat_id)
        message = await send(client, url, await login("max"), "Just us")
        response = await client.get(f"{url}/{message['id']}", headers=await login("mia"))
        assert_problem(response, 404, "CHAT_NOT_FOUND")
