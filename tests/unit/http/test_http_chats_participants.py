"""Who takes part in a chat over HTTP: join, leave and participants (http-api.md "Chats and work
items").

Acme is owned by olga; adam is an admin, max and mia are members; zed belongs to no workspace.
`task_id` is max's public task "Fix login" with mia (max is its only chat admin). Who may call
what is in test_http_authorization_matrix.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import (
    APART,
    API,
    Headers,
    Login,
    assert_problem,
    case_id,
    chat_url,
    ok,
    summaries,
)


async def roles(client: httpx.AsyncClient, headers: Headers, url: str) -> dict[str, str]:
    listed = await ok(client.get(f"{url}/participants", headers=headers))
    return {p["username"]: p["role"] for p in listed["items"]}


class TestJoinAndLeave:
    async def test_a_member_joins_once_and_leaves(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        task_id: str,
        clock: FixedClock,
    ) -> None:
        url, adam = chat_url(workspace_id, task_id), await login("adam")
        joined = await ok(client.post(f"{url}/join", headers=adam))
        assert (joined["my_role"], joined["permissions"]["can_write"]) == ("member", True)
        again = await ok(client.post(f"{url}/join", headers=adam))
        assert again["version"] == joined["version"]
        clock.advance(APART)

        response = await client.post(f"{url}/leave", headers=adam)

        assert response.status_code == 204
        assert response.content == b""
        assert "adam" not in await roles(client, adam, url)
        refused = await client.post(f"{url}/messages", json={"content": "hi"}, headers=adam)
        assert_problem(refused, 403, "NOT_PARTICIPANT")
        assert await summaries(client, adam, url) == ["adam joined the chat", "adam left the chat"]

    async def test_the_last_chat_admin_cannot_leave_until_another_admin_exists(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        url, max_headers = chat_url(workspace_id, task_id), await login("max")
        assert_problem(
            await client.post(f"{url}/leave", headers=max_headers), 409, "LAST_CHAT_ADMIN"
        )
        await ok(
            client.post(
                f"{url}/participants",
                json={"user_id": user_ids["adam"], "role": "admin"},
                headers=max_headers,
            )
        )
        assert (await client.post(f"{url}/leave", headers=max_headers)).status_code == 204
        assert await roles(client, await login("mia"), url) == {"mia": "member", "adam": "admin"}

    async def test_leaving_a_chat_one_is_not_in_is_not_participant(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, task_id: str
    ) -> None:
        response = await client.post(
            f"{chat_url(workspace_id, task_id)}/leave", headers=await login("adam")
        )
        assert_problem(response, 403, "NOT_PARTICIPANT")


class TestParticipants:
    async def test_participants_come_by_joining_time_in_pages(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
        clock: FixedClock,
    ) -> None:
        url = chat_url(workspace_id, task_id)
        for username in ["olga", "adam"]:
            clock.advance(APART)
            await ok(client.post(f"{url}/join", headers=await login(username)))
        headers = await login("mia")
        first = await ok(client.get(f"{url}/participants", params={"limit": 3}, headers=headers))
        rest = await ok(
            client.get(
                f"{url}/participants",
                params={"limit": 3, "cursor": first["next_cursor"]},
                headers=headers,
            )
        )
        items = first["items"] + rest["items"]
        assert set(items[0]) == {"user_id", "username", "display_name", "role", "joined_at"}
        # max and mia joined together at creation: their order is their user ids'.
        assert {p["username"] for p in items[:2]} == {"max", "mia"}
        assert [p["username"] for p in items[2:]] == ["olga", "adam"]
        assert rest["next_cursor"] is None
        assert items[0]["user_id"] in {user_ids["max"], user_ids["mia"]}

    async def test_a_manager_adds_with_a_role_and_the_added_user_is_notified(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        url = chat_url(workspace_id, task_id)
        response = await client.post(
            f"{url}/participants",
            json={"user_id": user_ids["adam"], "role": "ADMIN"},
            headers=await login("max"),
        )
        assert response.status_code == 201, response.text
        assert response.json()["username"] == "adam"
        assert response.json()["role"] == "admin"
        default = await ok(
            client.post(
                f"{url}/participants",
                json={"user_id": user_ids["olga"]},
                headers=await login("max"),
            )
        )
        assert default["role"] == "member"
        inbox = await ok(client.get(f"{API}/notifications", headers=await login("adam")))
        assert [(n["type"], n["body"]) for n in inbox["items"]] == [
            ("chat.added", 'max added you to "Fix login"')
        ]
        assert await summaries(client, await login("max"), url) == ["max added adam and added olga"]

    async def test_refused_additions_change_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        cases: list[tuple[dict[str, Any], int, str, str | None]] = [
            ({"user_id": "{mia}"}, 409, "ALREADY_PARTICIPANT", None),
            ({"user_id": "{zed}"}, 422, "VALIDATION_ERROR", "user_id"),
            ({"user_id": "nobody"}, 422, "VALIDATION_ERROR", "user_id"),
            ({"user_id": "{adam}", "role": "owner"}, 422, "VALIDATION_ERROR", "role"),
            ({"user_id": "{adam}", "role": 1}, 422, "VALIDATION_ERROR", "role"),
            ({}, 422, "VALIDATION_ERROR", "user_id"),
            ({"user_id": ["{adam}"]}, 422, "VALIDATION_ERROR", "user_id"),
            ({"user_id": "{adam}", "notify": False}, 422, "VALIDATION_ERROR", "notify"),
        ]
        for body, status, code, field in cases:
            with subtests.test(msg=case_id(body, status, code, field)):
                await login("zed")

                def fill(value: Any) -> Any:
                    if isinstance(value, list):
                        return [fill(item) for item in value]
                    return value.format(**user_ids) if isinstance(value, str) else value

                url, headers = chat_url(workspace_id, task_id), await login("max")
                response = await client.post(
                    f"{url}/participants",
                    json={k: fill(v) for k, v in body.items()},
                    headers=headers,
                )
                assert_problem(response, status, code, field)
                assert await roles(client, headers, url) == {"max": "admin", "mia": "member"}

    async def test_a_manager_removes_another_participant(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        url = chat_url(workspace_id, task_id)
        response = await client.delete(
            f"{url}/participants/{user_ids['mia']}", headers=await login("adam")
        )
        assert response.status_code == 204
        assert await roles(client, await login("max"), url) == {"max": "admin"}
        assert await summaries(client, await login("max"), url) == ["adam removed mia"]

    async def test_a_participant_removes_themselves(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        url = chat_url(workspace_id, task_id)
        response = await client.delete(
            f"{url}/participants/{user_ids['mia']}", headers=await login("mia")
        )
        assert response.status_code == 204
        assert await summaries(client, await login("max"), url) == ["mia left the chat"]

    async def test_refused_removals_change_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        task_id: str,
    ) -> None:
        for target, status, code in [
            ("olga", 404, "PARTICIPANT_NOT_FOUND"),
            ("zed", 404, "PARTICIPANT_NOT_FOUND"),
            ("max", 409, "LAST_CHAT_ADMIN"),
        ]:
            with subtests.test(msg=case_id(target, status, code)):
                await login("zed")
                url, headers = chat_url(workspace_id, task_id), await login("adam")
                response = await client.delete(
                    f"{url}/participants/{user_ids[target]}", headers=headers
                )
                assert_problem(response, status, code)
                assert await roles(client, headers, url) == {"max": "admin", "mia": "member"}
