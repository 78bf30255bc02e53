"""Chats over HTTP: create (`POST W/chats`, quick-create `POST W/tasks`), read one and delete
(http-api.md "Chats and work items"); lists are in test_http_chats_lists.py.

Acme is owned by olga; adam is an admin, max and mia are members; zed belongs to no workspace;
Globex is otto's. Who may call what is in test_http_authorization_matrix.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .http_kit import (
    API,
    SUMMARY_FIELDS,
    Login,
    MakeChat,
    assert_problem,
    case_id,
    chats_url,
    ok,
    titles,
)

CHAT_FIELDS = SUMMARY_FIELDS | {
    "previous_status",
    "description",
    "attachments",
    "participants",
    "permissions",
}
UNKNOWN_ID = "0b7e4a8e-0000-4000-8000-000000000000"


class TestCreateDiscussion:
    async def test_a_discussion_by_default_with_the_creator_as_admin(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], workspace_id: str
    ) -> None:
        url = chats_url(workspace_id)
        body = {"title": "  Lunch  ", "participant_ids": [user_ids["max"], user_ids["olga"]]}
        response = await client.post(url, json=body, headers=await login("olga"))

        assert response.status_code == 201, response.text
        chat = response.json()
        assert set(chat) == CHAT_FIELDS
        assert response.headers["location"] == f"{url}/{chat['id']}"
        assert (chat["type"], chat["title"], chat["is_public"]) == ("discussion", "Lunch", True)
        assert (chat["workspace_id"], chat["created_by"]) == (workspace_id, user_ids["olga"])
        for typed_only in ["status", "category", "priority", "severity", "assignee_id"]:
            assert chat[typed_only] is None, typed_only
        assert (chat["description"], chat["due_date"], chat["previous_status"]) == (None,) * 3
        assert {p["username"]: p["role"] for p in chat["participants"]} == {
            "olga": "admin",
            "max": "member",
        }
        assert (chat["participant_count"], chat["my_role"], chat["version"]) == (2, "admin", 3)
        assert chat["permissions"] == {"can_read": True, "can_write": True, "can_manage": True}
        assert (chat["last_message_at"], chat["unread_count"], chat["is_overdue"]) == (
            None,
            0,
            False,
        )
        fetched = await ok(client.get(response.headers["location"], headers=await login("olga")))
        assert fetched == chat

    async def test_an_untitled_private_discussion(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        body = {"is_public": False}
        chat = await ok(client.post(chats_url(workspace_id), json=body, headers=await login("max")))
        assert (chat["title"], chat["is_public"], chat["participant_count"]) == ("", False, 1)


class TestCreateWorkItem:
    async def test_typed_fields_are_canonical_and_the_assignee_takes_part(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], workspace_id: str
    ) -> None:
        body = {
            "type": " BUG ",
            "title": "Crash on start",
            "description": "  Steps:\n1. open  ",
            "status": "investigating",
            "priority": "HIGH",
            "severity": "blocker",
            "assignee_id": user_ids["mia"],
            "due_date": "2026-03-01T10:30:00+02:00",
        }
        response = await client.post(chats_url(workspace_id), json=body, headers=await login("max"))

        assert response.status_code == 201, response.text
        chat = response.json()
        assert (chat["type"], chat["status"], chat["category"]) == (
            "bug",
            "Investigating",
            "in_progress",
        )
        assert (chat["priority"], chat["severity"]) == ("High", "Blocker")
        assert chat["description"] == "  Steps:\n1. open  "  # not trimmed
        assert chat["assignee"] == {
            "id": user_ids["mia"],
            "username": "mia",
            "display_name": "mia",
        }
        assert chat["due_date"] == "2026-03-01T08:30:00.000Z"
        assert {p["username"]: p["role"] for p in chat["participants"]} == {
            "max": "admin",
            "mia": "member",
        }

    async def test_each_type_starts_in_its_default_status(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for chat_type, status, category in [
            ("task", "To Do", "todo"),
            ("bug", "New", "todo"),
            ("epic", "Planned", "todo"),
        ]:
            with subtests.test(msg=case_id(chat_type, status, category)):
                body = {"type": chat_type, "title": "Item"}
                chat = await ok(
                    client.post(chats_url(workspace_id), json=body, headers=await login("max"))
                )
                assert (chat["status"], chat["category"], chat["description"]) == (
                    status,
                    category,
                    "",
                )

    async def test_due_dates_in_every_documented_format(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for due_date, stored in [
            ("2026-03-01", "2026-03-01T00:00:00.000Z"),
            ("2026-03-01T10:30", "2026-03-01T10:30:00.000Z"),
            ("2026-03-01T10:30:15", "2026-03-01T10:30:15.000Z"),
            ("2026-03-01T10:30:15Z", "2026-03-01T10:30:15.000Z"),
            ("2026-03-01T01:00:00-05:00", "2026-03-01T06:00:00.000Z"),
        ]:
            with subtests.test(msg=case_id(due_date, stored)):
                body = {"type": "task", "title": "Item", "due_date": due_date}
                chat = await ok(
                    client.post(chats_url(workspace_id), json=body, headers=await login("max"))
                )
                assert chat["due_date"] == stored

    async def test_quick_create_makes_a_task_by_default(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        url = f"{API}/workspaces/{workspace_id}/tasks"
        response = await client.post(url, json={"title": "Quick"}, headers=await login("mia"))
        assert response.status_code == 201, response.text
        chat = response.json()
        assert (chat["type"], chat["status"], chat["is_public"]) == ("task", "To Do", True)
        assert response.headers["location"] == f"{chats_url(workspace_id)}/{chat['id']}"
        epic = await ok(
            client.post(url, json={"title": "Big", "type": "epic"}, headers=await login("mia"))
        )
        assert epic["type"] == "epic"


CREATE_REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"type": "story"}, "type"),
    ({"type": 1}, "type"),
    ({"type": "task"}, "title"),
    ({"type": "task", "title": "   "}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"title": ["t"]}, "title"),
    ({"status": "To Do"}, "status"),
    ({"priority": "High"}, "priority"),
    ({"severity": "Major"}, "severity"),
    ({"due_date": "2026-01-01"}, "due_date"),
    ({"description": "d"}, "description"),
    ({"assignee_id": "{max}"}, "assignee_id"),
    ({"type": "task", "title": "T", "severity": "Major"}, "severity"),
    ({"type": "bug", "title": "T", "severity": "huge"}, "severity"),
    ({"type": "task", "title": "T", "status": "Closed"}, "status"),
    ({"type": "bug", "title": "T", "status": "Done"}, "status"),
    ({"type": "task", "title": "T", "priority": "urgent"}, "priority"),
    ({"type": "task", "title": "T", "priority": 3}, "priority"),
    ({"type": "task", "title": "T", "assignee_id": "{zed}"}, "assignee_id"),
    ({"type": "task", "title": "T", "due_date": "31/12/2026"}, "due_date"),
    ({"type": "task", "title": "T", "due_date": "2026-02-30"}, "due_date"),
    ({"type": "task", "title": "T", "description": "d" * 5001}, "description"),
    ({"participant_ids": ["{max}", "{zed}"]}, "participant_ids[1]"),
    ({"participant_ids": ["{max}", "no-such-user"]}, "participant_ids[1]"),
    ({"participant_ids": "{max}"}, "participant_ids"),
    ({"participant_ids": [7]}, "participant_ids[0]"),
    ({"participant_ids": ["{max}"] * 101}, "participant_ids"),
    ({"is_public": "yes"}, "is_public"),
    ({"is_public": None}, "is_public"),
    ({"title": "T", "members": []}, "members"),
]


def _filled(body: dict[str, Any], user_ids: dict[str, str]) -> dict[str, Any]:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.format(**user_ids)
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return {key: fill(value) for key, value in body.items()}


class TestCreateRefusals:
    async def test_invalid_input_is_422_on_the_field_and_creates_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
    ) -> None:
        for body, field in CREATE_REFUSALS:
            with subtests.test(msg=case_id(body, field)):
                await login("zed")
                headers = await login("max")
                response = await client.post(
                    chats_url(workspace_id), json=_filled(body, user_ids), headers=headers
                )
                assert_problem(response, 422, "VALIDATION_ERROR", field)
                assert await titles(client, headers, workspace_id) == []

    async def test_the_largest_inputs_are_accepted(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], workspace_id: str
    ) -> None:
        body = {
            "type": "task",
            "title": "t" * 200,
            "description": "d" * 5000,
            "participant_ids": [user_ids["mia"]] * 100,
        }
        response = await client.post(chats_url(workspace_id), json=body, headers=await login("max"))
        assert response.status_code == 201, response.text

    async def test_quick_create_refuses_discussions_and_bad_fields(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for body, field in [
            ({"title": "T", "type": "discussion"}, "type"),
            ({"type": "task"}, "title"),
            ({"title": "T", "severity": "Major"}, "severity"),
            ({"title": "T", "status": "Fixed"}, "status"),
        ]:
            with subtests.test(msg=case_id(body, field)):
                headers = await login("max")
                url = f"{API}/workspaces/{workspace_id}/tasks"
                assert_problem(
                    await client.post(url, json=body, headers=headers),
                    422,
                    "VALIDATION_ERROR",
                    field,
                )
                assert (await ok(client.get(url, headers=headers)))["items"] == []

    async def test_garbage_is_malformed(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for content in [b"{", b"[1]", b"null"]:
            with subtests.test(msg=case_id(content)):
                headers = {**await login("max"), "content-type": "application/json"}
                response = await client.post(
                    chats_url(workspace_id), content=content, headers=headers
                )
                assert_problem(response, 400, "MALFORMED_REQUEST")
                assert await titles(client, await login("max"), workspace_id) == []


class TestGetChat:
    async def test_permissions_describe_the_caller(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        chat_id = await make_chat("max", participants=["mia"])
        url = f"{chats_url(workspace_id)}/{chat_id}"
        for headers, role, permissions in [
            (await login("max"), "admin", (True, True, True)),
            (await login("mia"), "member", (True, True, False)),
            (await login("adam"), None, (True, False, True)),
            (await login("olga"), None, (True, False, True)),
            (await login_sysadmin("root"), None, (True, False, False)),
        ]:
            chat = await ok(client.get(url, headers=headers))
            assert chat["my_role"] == role
            assert tuple(chat["permissions"].values()) == permissions

    async def test_a_chat_outside_the_workspace_is_not_found(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        other_workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        for chat in ["unknown", "malformed", "of Globex"]:
            with subtests.test(msg=case_id(chat)):
                foreign = await make_chat("otto", in_workspace=other_workspace_id)
                chat_id = {"unknown": UNKNOWN_ID, "malformed": "chat!", "of Globex": foreign}[chat]
                response = await client.get(
                    f"{chats_url(workspace_id)}/{chat_id}", headers=await login("olga")
                )
                assert_problem(response, 404, "CHAT_NOT_FOUND")


class TestDeleteChat:
    async def test_a_deleted_chat_is_gone_from_every_read(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        chat_id = await make_chat("max", participants=["mia"], type="task")
        url = f"{chats_url(workspace_id)}/{chat_id}"
        response = await client.delete(url, headers=await login("max"))
        assert response.status_code == 204
        assert response.content == b""

        for headers in [await login("max"), await login("olga"), await login_sysadmin("root")]:
            for path in ["", "/messages", "/participants", "/activity", "/presence"]:
                assert_problem(await client.get(url + path, headers=headers), 404, "CHAT_NOT_FOUND")
            assert await titles(client, headers, workspace_id) == []
        tasks = await ok(
            client.get(f"{API}/workspaces/{workspace_id}/tasks", headers=await login("max"))
        )
        assert tasks["items"] == []
        assert_problem(await client.delete(url, headers=await login("max")), 404, "CHAT_NOT_FOUND")
