"""Changing a chat over HTTP: `PATCH C`, `C/convert`, `C/close` and `C/reopen` (http-api.md
"Chats and work items", PATCH rules), with their change summaries (tags.md §6).

Acme is owned by olga; adam is an admin, max and mia are members; zed belongs to no workspace.
`task_id` is max's public task "Fix login" with mia; `discussion_id` max's discussion "Talk"
with mia. Who may call what is in test_http_authorization_matrix.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import (
    APART,
    Login,
    MakeChat,
    assert_problem,
    case_id,
    chat_url,
    ok,
    summaries,
)


@pytest.fixture
async def discussion_id(make_chat: MakeChat) -> str:
    return await make_chat("max", participants=["mia"], title="Talk")


PATCH_REFUSALS: tuple[tuple[dict[str, Any], int, str, str | None], ...] = (
    ({}, 422, "VALIDATION_ERROR", "body"),
    ({"title": ""}, 422, "VALIDATION_ERROR", "title"),
    ({"title": "t" * 201}, 422, "VALIDATION_ERROR", "title"),
    ({"title": None}, 422, "VALIDATION_ERROR", "title"),
    ({"description": "d" * 5001}, 422, "VALIDATION_ERROR", "description"),
    ({"description": 5}, 422, "VALIDATION_ERROR", "description"),
    ({"status": "Closed"}, 422, "VALIDATION_ERROR", "status"),
    ({"status": "Fixed"}, 422, "VALIDATION_ERROR", "status"),
    ({"status": None}, 422, "VALIDATION_ERROR", "status"),
    ({"category": "review"}, 422, "VALIDATION_ERROR", "category"),
    ({"category": "closed"}, 422, "VALIDATION_ERROR", "category"),
    ({"category": "done", "status": "Done"}, 422, "VALIDATION_ERROR", None),
    ({"priority": "urgent"}, 422, "VALIDATION_ERROR", "priority"),
    ({"severity": "Major"}, 422, "VALIDATION_ERROR", "severity"),
    ({"assignee_id": "{zed}"}, 422, "VALIDATION_ERROR", "assignee_id"),
    ({"assignee_id": 9}, 422, "VALIDATION_ERROR", "assignee_id"),
    ({"due_date": "next week"}, 422, "VALIDATION_ERROR", "due_date"),
    ({"due_date": "2026-13-01"}, 422, "VALIDATION_ERROR", "due_date"),
    ({"status": "Done", "priority": "urgent"}, 422, "VALIDATION_ERROR", "priority"),
    ({"type": "bug"}, 422, "VALIDATION_ERROR", "type"),
    ({"is_public": False}, 422, "VALIDATION_ERROR", "is_public"),
)


class TestPatchWorkItem:
    async def test_several_fields_in_one_request_make_one_summary(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        url = chat_url(workspace_id, task_id)
        await login("adam")
        body = {
            "due_date": "2026-03-01",
            "assignee_id": user_ids["adam"],
            "priority": "high",
            "status": "in progress",
            "description": "Steps to reproduce",
            "title": " Fix the login ",
        }
        response = await client.patch(url, json=body, headers=await login("mia"))

        assert response.status_code == 200, response.text
        chat = response.json()
        assert (chat["title"], chat["description"]) == ("Fix the login", "Steps to reproduce")
        assert (chat["status"], chat["category"], chat["priority"]) == (
            "In Progress",
            "in_progress",
            "High",
        )
        assert chat["assignee"]["username"] == "adam"
        assert "adam" in [p["username"] for p in chat["participants"]]  # added as participant
        assert chat["due_date"] == "2026-03-01T00:00:00.000Z"
        fetched = await ok(client.get(url, headers=await login("mia")))
        assert fetched == chat
        assert await summaries(client, await login("max"), url) == [
            'mia changed title to "Fix the login", updated the description, changed status to'
            " In Progress, set priority to High, assigned adam, and set due date to 2026-03-01"
        ]

    async def test_null_clears_nullable_fields(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        bug_id = await make_chat(
            "max",
            type="bug",
            priority="Low",
            severity="Minor",
            assignee_id=user_ids["max"],
            due_date="2026-03-01T12:00",
        )
        url = chat_url(workspace_id, bug_id)
        body = {"priority": None, "severity": None, "assignee_id": None, "due_date": None}
        chat = await ok(client.patch(url, json=body, headers=await login("max")))

        assert [
            chat[f] for f in ["priority", "severity", "assignee_id", "assignee", "due_date"]
        ] == [None] * 5
        assert await summaries(client, await login("max"), url) == [
            "max removed the priority, removed the severity, removed the assignee, and removed"
            " the due date"
        ]

    async def test_a_category_sets_the_first_status_in_it(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        for chat_type, category, status in [
            ("task", "done", "Done"),
            ("task", "IN_PROGRESS", "In Progress"),
            ("bug", "review", "Fixed"),
            ("epic", "done", "Completed"),
        ]:
            with subtests.test(msg=case_id(chat_type, category, status)):
                chat_id = await make_chat("max", type=chat_type)
                chat = await ok(
                    client.patch(
                        chat_url(workspace_id, chat_id),
                        json={"category": category},
                        headers=await login("max"),
                    )
                )
                assert chat["status"] == status

    async def test_values_equal_to_the_current_ones_change_nothing(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        url = chat_url(workspace_id, task_id)
        headers = await login("max")
        before = await ok(client.get(url, headers=headers))
        after = await ok(
            client.patch(url, json={"status": "to do", "title": "Fix login"}, headers=headers)
        )
        assert after == before
        assert await summaries(client, headers, url) == []

    async def test_a_regular_status_leaves_the_closed_state(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        url = chat_url(workspace_id, task_id)
        headers = await login("max")
        await ok(client.post(f"{url}/close", headers=headers))
        chat = await ok(client.patch(url, json={"status": "In Progress"}, headers=headers))
        assert (chat["status"], chat["previous_status"]) == ("In Progress", None)

    async def test_a_refused_patch_changes_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        for body, status, code, field in PATCH_REFUSALS:
            with subtests.test(msg=case_id(body, status, code, field)):
                await login("zed")
                body = {
                    k: v.format(**user_ids) if isinstance(v, str) else v for k, v in body.items()
                }
                url = chat_url(workspace_id, task_id)
                headers = await login("max")
                before = await ok(client.get(url, headers=headers))
                response = await client.patch(url, json=body, headers=headers)
                assert_problem(response, status, code, field)
                assert await ok(client.get(url, headers=headers)) == before
                assert await summaries(client, headers, url) == []

    async def test_garbage_is_malformed(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        headers = {**await login("max"), "content-type": "application/json"}
        response = await client.patch(
            chat_url(workspace_id, task_id), content=b"status=Done", headers=headers
        )
        assert_problem(response, 400, "MALFORMED_REQUEST")


class TestPatchDiscussion:
    async def test_the_chat_admin_renames_it(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, discussion_id: str
    ) -> None:
        url = chat_url(workspace_id, discussion_id)
        chat = await ok(client.patch(url, json={"title": ""}, headers=await login("max")))
        assert chat["title"] == ""  # a discussion may be untitled
        assert await summaries(client, await login("max"), url) == ['max changed title to ""']

    async def test_work_item_fields_are_not_a_work_item(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        discussion_id: str,
    ) -> None:
        for body in [
            {"status": "Done"},
            {"category": "done"},
            {"priority": "High"},
            {"priority": None},
            {"severity": "Major"},
            {"assignee_id": None},
            {"due_date": "2026-01-01"},
            {"description": "x"},
            {"title": "New", "priority": "Low"},
        ]:
            with subtests.test(msg=case_id(body)):
                url = chat_url(workspace_id, discussion_id)
                headers = await login("max")
                response = await client.patch(url, json=body, headers=headers)
                assert_problem(response, 409, "NOT_A_WORK_ITEM")
                assert (await ok(client.get(url, headers=headers)))["title"] == "Talk"

    async def test_a_participant_who_is_not_chat_admin_may_not_rename_it(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, discussion_id: str
    ) -> None:
        url = chat_url(workspace_id, discussion_id)
        response = await client.patch(url, json={"title": "Mine"}, headers=await login("mia"))
        assert_problem(response, 403, "FORBIDDEN")


class TestConvert:
    async def test_a_discussion_becomes_a_task_with_a_title(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        discussion_id: str,
        clock: FixedClock,
    ) -> None:
        url = chat_url(workspace_id, discussion_id)
        body = {"type": "TASK", "title": "Plan the talk"}
        chat = await ok(client.post(f"{url}/convert", json=body, headers=await login("max")))
        assert (chat["type"], chat["title"], chat["status"], chat["description"]) == (
            "task",
            "Plan the talk",
            "To Do",
            "",
        )
        # The title comes with `chat.type_changed`: no separate rename (domain.md §3 Convert).
        assert await summaries(client, await login("max"), url) == [
            "max converted this chat to a task"
        ]

    async def test_typed_to_typed_keeps_the_category_and_drops_the_severity(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        bug_id = await make_chat("max", type="bug", status="Fixed", severity="Major")
        url = chat_url(workspace_id, bug_id)
        headers = await login("max")
        epic = await ok(client.post(f"{url}/convert", json={"type": "epic"}, headers=headers))
        assert (epic["type"], epic["status"], epic["severity"]) == ("epic", "Planned", None)
        await ok(client.patch(url, json={"status": "In Progress"}, headers=headers))
        bug = await ok(client.post(f"{url}/convert", json={"type": "bug"}, headers=headers))
        assert (bug["status"], bug["category"]) == ("Investigating", "in_progress")

    async def test_a_closed_item_stays_closed_with_its_previous_status_mapped(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        url = chat_url(workspace_id, task_id)
        headers = await login("max")
        await ok(client.patch(url, json={"status": "In Progress"}, headers=headers))
        await ok(client.post(f"{url}/close", headers=headers))
        bug = await ok(client.post(f"{url}/convert", json={"type": "bug"}, headers=headers))
        assert (bug["status"], bug["previous_status"]) == ("Closed", "Investigating")
        reopened = await ok(client.post(f"{url}/reopen", headers=headers))
        assert reopened["status"] == "Investigating"

    async def test_refusals_change_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        task_id: str,
        make_chat: MakeChat,
    ) -> None:
        for chat, body, status, code, field in [
            ("task", {"type": "task"}, 409, "ALREADY_THIS_TYPE", None),
            ("task", {"type": "discussion"}, 422, "VALIDATION_ERROR", "type"),
            ("task", {"type": "story"}, 422, "VALIDATION_ERROR", "type"),
            ("task", {}, 422, "VALIDATION_ERROR", "type"),
            ("task", {"type": 1}, 422, "VALIDATION_ERROR", "type"),
            ("task", {"type": "bug", "title": "t" * 201}, 422, "VALIDATION_ERROR", "title"),
            ("task", {"type": "bug", "keep": True}, 422, "VALIDATION_ERROR", "keep"),
            ("untitled", {"type": "task"}, 422, "VALIDATION_ERROR", "title"),
            ("untitled", {"type": "task", "title": "  "}, 422, "VALIDATION_ERROR", "title"),
        ]:
            with subtests.test(msg=case_id(chat, body, status, code, field)):
                chat_id = task_id if chat == "task" else await make_chat("max", title="")
                url = chat_url(workspace_id, chat_id)
                headers = await login("max")
                before = await ok(client.get(url, headers=headers))
                response = await client.post(f"{url}/convert", json=body, headers=headers)
                assert_problem(response, status, code, field)
                assert await ok(client.get(url, headers=headers)) == before


class TestCloseAndReopen:
    async def test_closing_keeps_the_status_to_restore(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        task_id: str,
        clock: FixedClock,
    ) -> None:
        url = chat_url(workspace_id, task_id)
        headers = await login("mia")
        await ok(client.patch(url, json={"status": "In Progress"}, headers=headers))
        clock.advance(APART)
        closed = await ok(client.post(f"{url}/close", headers=headers))
        assert (closed["status"], closed["category"], closed["previous_status"]) == (
            "Closed",
            "done",
            "In Progress",
        )
        clock.advance(APART)
        reopened = await ok(client.post(f"{url}/reopen", headers=headers))
        assert (reopened["status"], reopened["previous_status"]) == ("In Progress", None)
        assert await summaries(client, headers, url) == [
            "mia changed status to In Progress",
            "mia closed this task",
            "mia reopened this task",
        ]

    async def test_state_conflicts(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        task_id: str,
        discussion_id: str,
    ) -> None:
        task, headers = chat_url(workspace_id, task_id), await login("max")
        assert_problem(await client.post(f"{task}/reopen", headers=headers), 409, "CHAT_NOT_CLOSED")
        await ok(client.post(f"{task}/close", headers=headers))
        again = await client.post(f"{task}/close", headers=headers)
        assert_problem(again, 409, "CHAT_ALREADY_CLOSED")
        assert (await ok(client.get(task, headers=headers)))["previous_status"] == "To Do"
        talk = chat_url(workspace_id, discussion_id)
        for action in ["close", "reopen"]:
            response = await client.post(f"{talk}/{action}", headers=headers)
            assert_problem(response, 409, "NOT_A_WORK_ITEM")
