"""What a chat keeps, over HTTP: its participants' presence, its activity journal and the
work-item attachments (http-api.md "Chats and work items").

Acme is owned by olga; adam is an admin, max and mia are members. `task_id` is max's public task
"Fix login" with mia. Who may call what is in test_http_authorization_matrix.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import (
    APART,
    Headers,
    Login,
    MakeChat,
    assert_problem,
    case_id,
    chat_url,
    ok,
    summaries,
)


class TestPresence:
    async def test_each_participant_is_listed_offline_in_pages(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        url = f"{chat_url(workspace_id, task_id)}/presence"
        headers = await login("olga")
        first = await ok(client.get(url, params={"limit": 1}, headers=headers))
        rest = await ok(
            client.get(url, params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers)
        )
        items = first["items"] + rest["items"]
        assert {p["user_id"] for p in items} == {user_ids["max"], user_ids["mia"]}
        assert [(p["is_online"], p["last_seen_at"]) for p in items] == [(False, None)] * 2
        assert set(items[0]) == {"user_id", "is_online", "last_seen_at"}

    async def test_a_cursor_of_the_participant_list_is_refused(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        url, headers = chat_url(workspace_id, task_id), await login("olga")
        page = await ok(client.get(f"{url}/participants", params={"limit": 1}, headers=headers))
        response = await client.get(
            f"{url}/presence", params={"cursor": page["next_cursor"]}, headers=headers
        )
        assert_problem(response, 422, "VALIDATION_ERROR", "cursor")


class TestActivity:
    async def test_chat_events_come_newest_first(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        url, headers = chat_url(workspace_id, task_id), await login("max")
        await ok(client.patch(url, json={"status": "Done"}, headers=headers))
        await ok(client.post(f"{url}/messages", json={"content": "done!"}, headers=headers))
        await ok(client.post(f"{url}/close", headers=headers))

        listed = await ok(client.get(f"{url}/activity", headers=await login("olga")))
        events = listed["items"]
        assert [e["type"] for e in events] == [
            "chat.closed",
            "chat.status_changed",
            "chat.participant_added",
            "chat.participant_added",
            "chat.created",
        ]
        assert [e["version"] for e in events] == [5, 4, 3, 2, 1]
        assert set(events[0]) == {
            "event_id",
            "type",
            "aggregate_type",
            "aggregate_id",
            "version",
            "workspace_id",
            "chat_id",
            "actor_id",
            "occurred_at",
            "data",
        }
        assert (events[1]["aggregate_type"], events[1]["chat_id"], events[1]["actor_id"]) == (
            "chat",
            task_id,
            user_ids["max"],
        )
        assert events[1]["data"] == {
            "old_status": "To Do",
            "new_status": "Done",
            "changed_by": user_ids["max"],
        }

    async def test_the_type_filter_takes_a_comma_list(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        url, headers = chat_url(workspace_id, task_id), await login("max")
        await ok(client.post(f"{url}/close", headers=headers))
        await ok(client.post(f"{url}/reopen", headers=headers))
        params = {"type": "chat.reopened, chat.created"}
        listed = await ok(client.get(f"{url}/activity", params=params, headers=headers))
        assert [e["type"] for e in listed["items"]] == ["chat.reopened", "chat.created"]

    async def test_pages_go_back_in_time_and_ignore_newer_events(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        url, headers = chat_url(workspace_id, task_id), await login("max")
        first = await ok(client.get(f"{url}/activity", params={"limit": 2}, headers=headers))
        assert [e["version"] for e in first["items"]] == [3, 2]
        await ok(client.patch(url, json={"priority": "Low"}, headers=headers))
        params = {"limit": 2, "cursor": first["next_cursor"]}
        second = await ok(client.get(f"{url}/activity", params=params, headers=headers))
        assert [e["version"] for e in second["items"]] == [1]
        assert second["next_cursor"] is None

    async def test_bad_parameters_are_422(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        task_id: str,
    ) -> None:
        for params, field in [
            ({"type": "message.created"}, "type"),
            ({"type": "chat.exploded"}, "type"),
            ({"limit": "0"}, "limit"),
            ({"cursor": "bad"}, "cursor"),
        ]:
            with subtests.test(msg=case_id(params, field)):
                url = f"{chat_url(workspace_id, task_id)}/activity"
                response = await client.get(url, params=params, headers=await login("max"))
                assert_problem(response, 422, "VALIDATION_ERROR", field)

    async def test_a_cursor_is_bound_to_its_chat_and_filter(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        task_id: str,
        make_chat: MakeChat,
    ) -> None:
        url, headers = chat_url(workspace_id, task_id), await login("max")
        page = await ok(client.get(f"{url}/activity", params={"limit": 1}, headers=headers))
        other = chat_url(workspace_id, await make_chat("max", participants=["mia"]))
        for target, params in [
            (url, {"type": "chat.created"}),
            (other, {}),
        ]:
            response = await client.get(
                f"{target}/activity",
                params={"cursor": page["next_cursor"], **params},
                headers=headers,
            )
            assert_problem(response, 422, "VALIDATION_ERROR", "cursor")


async def upload(
    client: httpx.AsyncClient, url: str, headers: Headers, name: str = "plan.pdf"
) -> str:
    body = await ok(
        client.post(
            f"{url}/files", files={"file": (name, b"%PDF-1.4", "application/pdf")}, headers=headers
        )
    )
    file_id: str = body["id"]
    return file_id


class TestAttachments:
    async def test_an_uploaded_file_is_attached_once_and_removed(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
        clock: FixedClock,
    ) -> None:
        url, mia = chat_url(workspace_id, task_id), await login("mia")
        file_id = await upload(client, url, await login("max"))

        chat = await ok(client.post(f"{url}/attachments", json={"file_id": file_id}, headers=mia))

        assert chat["attachments"] == [
            {
                "file_id": file_id,
                "file_name": "plan.pdf",
                "file_size": 8,
                "mime_type": "application/pdf",
                "url": f"/api/v1/files/{file_id}/plan.pdf",
                "added_by": user_ids["mia"],
                "added_at": chat["attachments"][0]["added_at"],
            }
        ]
        again = await ok(client.post(f"{url}/attachments", json={"file_id": file_id}, headers=mia))
        assert (again["version"], len(again["attachments"])) == (chat["version"], 1)
        clock.advance(APART)
        removed = await client.delete(f"{url}/attachments/{file_id}", headers=mia)
        assert removed.status_code == 204
        assert (await ok(client.get(url, headers=mia)))["attachments"] == []
        gone = await client.delete(f"{url}/attachments/{file_id}", headers=mia)
        assert_problem(gone, 404, "ATTACHMENT_NOT_FOUND")
        assert await summaries(client, mia, url) == [
            "mia attached plan.pdf",
            "mia removed the attachment plan.pdf",
        ]

    async def test_refused_attachments_change_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        task_id: str,
        make_chat: MakeChat,
    ) -> None:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"file_id": "no-such-file"}, "file_id"),
            ({"file_id": "{elsewhere}"}, "file_id"),
            ({}, "file_id"),
            ({"file_id": 12}, "file_id"),
            ({"file_id": "{own}", "name": "x"}, "name"),
        ]
        for body, field in cases:
            with subtests.test(msg=case_id(body, field)):
                url, headers = chat_url(workspace_id, task_id), await login("max")
                other_chat = chat_url(
                    workspace_id, await make_chat("max", type="task", title="Other")
                )
                files = {
                    "own": await upload(client, url, headers),
                    "elsewhere": await upload(client, other_chat, headers),
                }
                body = {k: v.format(**files) if isinstance(v, str) else v for k, v in body.items()}
                before = await ok(client.get(url, headers=headers))
                response = await client.post(f"{url}/attachments", json=body, headers=headers)
                assert_problem(response, 422, "VALIDATION_ERROR", field)
                assert await ok(client.get(url, headers=headers)) == before

    async def test_a_discussion_has_no_attachments(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, make_chat: MakeChat
    ) -> None:
        url = chat_url(workspace_id, await make_chat("max", title="Talk"))
        headers = await login("max")
        file_id = await upload(client, url, headers)
        added = await client.post(f"{url}/attachments", json={"file_id": file_id}, headers=headers)
        assert_problem(added, 409, "NOT_A_WORK_ITEM")
        removed = await client.delete(f"{url}/attachments/{file_id}", headers=headers)
        assert_problem(removed, 409, "NOT_A_WORK_ITEM")

    async def test_a_work_item_holds_at_most_fifty(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        url, headers = chat_url(workspace_id, task_id), await login("max")
        for number in range(51):
            file_id = await upload(client, url, headers, f"f{number}.pdf")
            response = await client.post(
                f"{url}/attachments", json={"file_id": file_id}, headers=headers
            )
        assert_problem(response, 422, "VALIDATION_ERROR", "file_id")
        assert len((await ok(client.get(url, headers=headers)))["attachments"]) == 50
