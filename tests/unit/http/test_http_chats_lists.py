"""Chat lists over HTTP: `GET W/chats` with its filters, sorts and paging, and the message
timeline's paging (http-api.md "Chats and work items", "Messages").

Acme is owned by olga; adam is an admin, max and mia are members. Who may call what is in
test_http_authorization_matrix.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import (
    STEP,
    SUMMARY_FIELDS,
    Login,
    MakeChat,
    assert_problem,
    case_id,
    chats_url,
    ok,
    titles,
)


class TestListChats:
    @pytest.fixture
    async def chats(self, make_chat: MakeChat, clock: FixedClock, login: Login) -> dict[str, str]:
        ids = {}
        specs: list[tuple[str, dict[str, Any]]] = [
            ("Alpha", {"type": "task"}),
            ("beta", {}),
            ("Gamma", {"type": "bug", "participants": ["mia"]}),
            ("Delta", {"is_public": False}),
        ]
        for title, fields in specs:
            ids[title] = await make_chat("max", title=title, **fields)
            clock.advance(STEP)
        return ids

    async def test_readable_chats_by_last_activity(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chats: dict[str, str],
        clock: FixedClock,
    ) -> None:
        await ok(
            client.post(
                f"{chats_url(workspace_id)}/{chats['Alpha']}/messages",
                json={"content": "bump"},
                headers=await login("max"),
            )
        )
        listed = await ok(client.get(chats_url(workspace_id), headers=await login("mia")))
        assert [c["title"] for c in listed["items"]] == ["Alpha", "Gamma", "beta"]
        assert set(listed["items"][0]) == SUMMARY_FIELDS
        assert listed["items"][0]["last_message_at"] is not None
        assert listed["next_cursor"] is None
        assert await titles(client, await login("max"), workspace_id) == [
            "Alpha",
            "Delta",
            "Gamma",
            "beta",
        ]

    async def test_filters_and_sorts(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chats: dict[str, str],
    ) -> None:
        for params, expected in [
            ({"type": "task"}, ["Alpha"]),
            ({"type": "BUG, task"}, ["Gamma", "Alpha"]),
            ({"type": "discussion"}, ["beta"]),
            ({"q": "A"}, ["Gamma", "beta", "Alpha"]),
            ({"q": "ET"}, ["beta"]),
            ({"joined": "true"}, ["Gamma"]),
            ({"joined": "0"}, ["Gamma", "beta", "Alpha"]),
            ({"sort": "title"}, ["Alpha", "beta", "Gamma"]),
            ({"sort": "-created_at"}, ["Gamma", "beta", "Alpha"]),
        ]:
            with subtests.test(msg=case_id(params, expected)):
                assert await titles(client, await login("mia"), workspace_id, **params) == expected

    async def test_pages_stay_stable_when_chats_arrive_between_them(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        chats: dict[str, str],
        make_chat: MakeChat,
    ) -> None:
        headers = await login("mia")
        first = await ok(client.get(chats_url(workspace_id), params={"limit": 2}, headers=headers))
        assert [c["title"] for c in first["items"]] == ["Gamma", "beta"]
        await make_chat("max", title="Newest")
        params = {"limit": 2, "cursor": first["next_cursor"]}
        second = await ok(client.get(chats_url(workspace_id), params=params, headers=headers))
        assert [c["title"] for c in second["items"]] == ["Alpha"]
        assert second["next_cursor"] is None

    async def test_bad_parameters_are_422(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for params, field in [
            ({"type": "story"}, "type"),
            ({"sort": "-title"}, "sort"),
            ({"joined": "perhaps"}, "joined"),
            ({"limit": "101"}, "limit"),
            ({"limit": "-1"}, "limit"),
            ({"cursor": "%%%"}, "cursor"),
        ]:
            with subtests.test(msg=case_id(params, field)):
                response = await client.get(
                    chats_url(workspace_id), params=params, headers=await login("mia")
                )
                assert_problem(response, 422, "VALIDATION_ERROR", field)

    async def test_a_cursor_is_bound_to_its_filters_and_sort(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, chats: dict[str, str]
    ) -> None:
        headers = await login("mia")
        first = await ok(client.get(chats_url(workspace_id), params={"limit": 1}, headers=headers))
        for other in [{"sort": "title"}, {"type": "task"}, {"q": "a"}, {"joined": "true"}]:
            params = {"cursor": first["next_cursor"], **other}
            response = await client.get(chats_url(workspace_id), params=params, headers=headers)
            assert_problem(response, 422, "VALIDATION_ERROR", "cursor")


class TestTimelinePaging:
    async def test_newest_first_with_a_cursor_to_older_messages_that_ignores_newer_ones(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        make_chat: MakeChat,
        clock: FixedClock,
    ) -> None:
        url = f"{chats_url(workspace_id)}/{await make_chat('max')}/messages"
        headers = await login("max")
        for text in ["one", "two", "three", "four"]:
            clock.advance(STEP)
            await ok(client.post(url, json={"content": text}, headers=headers))
        first = await ok(client.get(url, params={"limit": 2}, headers=headers))
        assert [m["content"] for m in first["items"]] == ["four", "three"]
        clock.advance(STEP)
        await ok(client.post(url, json={"content": "five"}, headers=headers))

        params = {"limit": 2, "cursor": first["next_cursor"]}
        older = await ok(client.get(url, params=params, headers=headers))
        assert [m["content"] for m in older["items"]] == ["two", "one"]
        assert older["next_cursor"] is None
        newest = await ok(client.get(url, params={"limit": 1}, headers=headers))
        assert [m["content"] for m in newest["items"]] == ["five"]
