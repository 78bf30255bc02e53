"""Workspace members over HTTP (http-api.md "Workspaces, members, invites"): list, add, change
role, remove, leave and transfer ownership, with every documented error code, bad input per field
(with nothing stored) and paging.

Acme is owned by olga; adam is an admin, max and mia are members; zed belongs to no workspace.
"Crew" has the same members, each joined a second after the previous one.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import httpx
import pytest

from flowra_core.domain.user import FLOWRA_BOT_ID
from flowra_core.testing.clock import FixedClock

from .http_kit import API, STEP, Headers, Login, MakeChat, assert_problem, at, case_id, ok

WORKSPACES = f"{API}/workspaces"
MEMBER_FIELDS = {"user_id", "username", "display_name", "email", "role", "joined_at", "is_online"}


@pytest.fixture
async def crew(client: httpx.AsyncClient, login: Login, clock: FixedClock) -> str:
    """ "Crew", owned by olga, joined in turn by adam (admin), max and mia."""
    olga = await login("olga")
    workspace = await ok(client.post(WORKSPACES, json={"name": "Crew"}, headers=olga))
    for username, role in [("adam", "admin"), ("max", "member"), ("mia", "member")]:
        await login(username)
        clock.advance(STEP)
        body = {"username": username, "role": role}
        await ok(client.post(f"{WORKSPACES}/{workspace['id']}/members", json=body, headers=olga))
    crew_id: str = workspace["id"]
    return crew_id


class TestMembers:
    async def test_members_come_by_joining_time(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], crew: str
    ) -> None:
        listed = await ok(client.get(f"{WORKSPACES}/{crew}/members", headers=await login("mia")))
        items = listed["items"]
        assert set(items[0]) == MEMBER_FIELDS
        assert [(m["username"], m["role"]) for m in items] == [
            ("olga", "owner"),
            ("adam", "admin"),
            ("max", "member"),
            ("mia", "member"),
        ]
        assert items[2] == {
            "user_id": user_ids["max"],
            "username": "max",
            "display_name": "max",
            "email": "max@flowra.local",
            "role": "member",
            "joined_at": items[2]["joined_at"],
            "is_online": False,
        }
        joined = [at(m["joined_at"]) for m in items]
        assert [later - earlier for earlier, later in pairwise(joined)] == [STEP] * 3

    async def test_role_and_text_filters(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, crew: str
    ) -> None:
        for params, expected in [
            ({"role": "member"}, ["max", "mia"]),
            ({"role": " ADMIN "}, ["adam"]),
            ({"q": "M"}, ["adam", "max", "mia"]),
            ({"q": "olga@flowra"}, ["olga"]),
            ({"q": "nobody"}, []),
            ({"role": "member", "q": "ia"}, ["mia"]),
        ]:
            with subtests.test(msg=case_id(params, expected)):
                url = f"{WORKSPACES}/{crew}/members"
                listed = await ok(client.get(url, params=params, headers=await login("mia")))
                assert [m["username"] for m in listed["items"]] == expected

    async def test_pages_follow_the_cursor_and_keep_their_filters(
        self, client: httpx.AsyncClient, login: Login, crew: str
    ) -> None:
        url = f"{WORKSPACES}/{crew}/members"
        headers = await login("mia")
        first = await ok(client.get(url, params={"limit": 3}, headers=headers))
        second = await ok(
            client.get(url, params={"limit": 3, "cursor": first["next_cursor"]}, headers=headers)
        )
        assert [m["username"] for m in first["items"] + second["items"]] == [
            "olga",
            "adam",
            "max",
            "mia",
        ]
        assert second["next_cursor"] is None
        other_filter = {"cursor": first["next_cursor"], "role": "member"}
        response = await client.get(url, params=other_filter, headers=headers)
        assert_problem(response, 422, "VALIDATION_ERROR", "cursor")

    async def test_members_joining_between_pages_come_after_the_cursor(
        self, client: httpx.AsyncClient, login: Login, clock: FixedClock, crew: str
    ) -> None:
        url = f"{WORKSPACES}/{crew}/members"
        headers = await login("olga")
        first = await ok(client.get(url, params={"limit": 2}, headers=headers))
        await login("zed")
        clock.advance(STEP)
        await ok(client.post(url, json={"username": "zed"}, headers=headers))
        params = {"limit": 10, "cursor": first["next_cursor"]}
        rest = await ok(client.get(url, params=params, headers=headers))
        assert [m["username"] for m in rest["items"]] == ["max", "mia", "zed"]

    async def test_bad_parameters_are_422(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for params, field in [
            ({"role": "boss"}, "role"),
            ({"limit": "0"}, "limit"),
            ({"cursor": "x"}, "cursor"),
        ]:
            with subtests.test(msg=case_id(params, field)):
                url = f"{WORKSPACES}/{workspace_id}/members"
                response = await client.get(url, params=params, headers=await login("mia"))
                assert_problem(response, 422, "VALIDATION_ERROR", field)


async def usernames(client: httpx.AsyncClient, headers: Headers, workspace_id: str) -> set[str]:
    """The fixture's members all joined at the same instant: their order is the user ids'."""
    listed = await ok(client.get(f"{WORKSPACES}/{workspace_id}/members", headers=headers))
    return {m["username"] for m in listed["items"]}


class TestAddMember:
    @pytest.mark.parametrize(
        ("body", "role"),
        [
            ({"username": "zed"}, "member"),
            ({"username": "@ZED", "role": "Admin"}, "admin"),
            ({"user_id": "{zed}", "role": "member"}, "member"),
        ],
    )
    async def test_a_user_is_added_by_name_or_id(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        body: dict[str, str],
        role: str,
    ) -> None:
        body = {key: value.format(zed=user_ids["zed"]) for key, value in body.items()}
        url = f"{WORKSPACES}/{workspace_id}/members"
        response = await client.post(url, json=body, headers=await login("adam"))

        assert response.status_code == 201, response.text
        assert response.json()["user_id"] == user_ids["zed"]
        assert (response.json()["username"], response.json()["role"]) == ("zed", role)
        zed = await login("zed")
        workspace = await ok(client.get(f"{WORKSPACES}/{workspace_id}", headers=zed))
        assert (workspace["member_count"], workspace["my_role"]) == (5, role)

    async def test_refusals_store_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
    ) -> None:
        cases: list[tuple[dict[str, Any], int, str, str | None]] = [
            ({"username": "nobody"}, 404, "USER_NOT_FOUND", None),
            ({"user_id": "0b7e4a8e-0000-4000-8000-000000000000"}, 404, "USER_NOT_FOUND", None),
            ({"user_id": FLOWRA_BOT_ID}, 404, "USER_NOT_FOUND", None),
            ({"username": "max"}, 409, "ALREADY_MEMBER", None),
            ({"username": "zed", "role": "owner"}, 422, "VALIDATION_ERROR", "role"),
            ({"username": "zed", "role": "boss"}, 422, "VALIDATION_ERROR", "role"),
            ({"username": "zed", "role": 1}, 422, "VALIDATION_ERROR", "role"),
            ({}, 422, "VALIDATION_ERROR", "user_id"),
            ({"username": "zed", "user_id": "{zed}"}, 422, "VALIDATION_ERROR", "user_id"),
            ({"user_id": 42}, 422, "VALIDATION_ERROR", "user_id"),
            ({"username": "zed", "invited": True}, 422, "VALIDATION_ERROR", "invited"),
        ]
        for body, status, code, field in cases:
            with subtests.test(msg=case_id(body, status, code, field)):
                body = {
                    k: v.format(zed=user_ids["zed"]) if isinstance(v, str) else v
                    for k, v in body.items()
                }
                headers = await login("olga")
                url = f"{WORKSPACES}/{workspace_id}/members"
                response = await client.post(url, json=body, headers=headers)
                assert_problem(response, status, code, field)
                assert await usernames(client, headers, workspace_id) == {
                    "olga",
                    "adam",
                    "max",
                    "mia",
                }


class TestChangeRole:
    async def test_the_owner_promotes_and_demotes(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], workspace_id: str
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}/members/{user_ids['max']}"
        headers = await login("olga")
        promoted = await ok(client.patch(url, json={"role": "ADMIN"}, headers=headers))
        assert (promoted["username"], promoted["role"]) == ("max", "admin")
        max_view = await ok(client.get(f"{WORKSPACES}/{workspace_id}", headers=await login("max")))
        assert max_view["my_role"] == "admin"
        demoted = await ok(client.patch(url, json={"role": "member"}, headers=headers))
        assert demoted["role"] == "member"

    async def test_refusals_change_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
    ) -> None:
        for target, body, status, code, field in [
            ("olga", {"role": "admin"}, 409, "CANNOT_CHANGE_OWNER_ROLE", None),
            ("zed", {"role": "admin"}, 404, "MEMBER_NOT_FOUND", None),
            ("max", {"role": "owner"}, 422, "VALIDATION_ERROR", "role"),
            ("max", {"role": "chief"}, 422, "VALIDATION_ERROR", "role"),
            ("max", {}, 422, "VALIDATION_ERROR", "role"),
            ("max", {"role": None}, 422, "VALIDATION_ERROR", "role"),
            ("max", {"role": "admin", "since": "now"}, 422, "VALIDATION_ERROR", "since"),
        ]:
            with subtests.test(msg=case_id(target, body, status, code, field)):
                headers = await login("olga")
                members = f"{WORKSPACES}/{workspace_id}/members"
                before = await ok(client.get(members, headers=headers))
                response = await client.patch(
                    f"{members}/{user_ids[target]}", json=body, headers=headers
                )
                assert_problem(response, status, code, field)
                assert await ok(client.get(members, headers=headers)) == before


class TestRemoveMember:
    async def test_a_removed_member_loses_the_workspace_and_its_chats_but_keeps_assignments(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        task_id = await make_chat(
            "olga", participants=["max"], type="task", assignee_id=user_ids["max"]
        )
        url = f"{WORKSPACES}/{workspace_id}"
        response = await client.delete(
            f"{url}/members/{user_ids['max']}", headers=await login("adam")
        )
        assert response.status_code == 204

        assert_problem(
            await client.get(url, headers=await login("max")), 404, "WORKSPACE_NOT_FOUND"
        )
        task = await ok(client.get(f"{url}/chats/{task_id}", headers=await login("olga")))
        assert [p["username"] for p in task["participants"]] == ["olga"]
        assert task["assignee_id"] == user_ids["max"]
        assert await usernames(client, await login("olga"), workspace_id) == {"olga", "adam", "mia"}

    async def test_any_member_may_remove_themselves(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], workspace_id: str
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}/members/{user_ids['mia']}"
        assert (await client.delete(url, headers=await login("mia"))).status_code == 204
        assert await usernames(client, await login("olga"), workspace_id) == {"olga", "adam", "max"}

    async def test_refusals_change_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
    ) -> None:
        for target, status, code in [
            ("olga", 409, "CANNOT_REMOVE_OWNER"),
            ("zed", 404, "MEMBER_NOT_FOUND"),
        ]:
            with subtests.test(msg=case_id(target, status, code)):
                url = f"{WORKSPACES}/{workspace_id}/members/{user_ids[target]}"
                assert_problem(await client.delete(url, headers=await login("adam")), status, code)
                assert await usernames(client, await login("olga"), workspace_id) == {
                    "olga",
                    "adam",
                    "max",
                    "mia",
                }


class TestLeave:
    async def test_a_member_leaves_and_its_chats_with_it(
        self,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        chat_id = await make_chat("olga", participants=["mia"])
        url = f"{WORKSPACES}/{workspace_id}"
        response = await client.post(f"{url}/leave", headers=await login("mia"))
        assert response.status_code == 204
        assert response.content == b""
        assert_problem(
            await client.get(url, headers=await login("mia")), 404, "WORKSPACE_NOT_FOUND"
        )
        chat = await ok(client.get(f"{url}/chats/{chat_id}", headers=await login("olga")))
        assert [p["username"] for p in chat["participants"]] == ["olga"]

    async def test_the_owner_cannot_leave(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}"
        response = await client.post(f"{url}/leave", headers=await login("olga"))
        assert_problem(response, 409, "OWNER_CANNOT_LEAVE")
        assert (await ok(client.get(url, headers=await login("olga"))))["my_role"] == "owner"


class TestTransferOwnership:
    async def test_the_target_becomes_owner_and_the_old_owner_admin(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str], workspace_id: str
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}"
        body = {"user_id": user_ids["max"]}
        response = await client.post(
            f"{url}/transfer-ownership", json=body, headers=await login("olga")
        )

        assert response.status_code == 200
        assert response.json()["my_role"] == "admin"
        members = await ok(client.get(f"{url}/members", headers=await login("max")))
        assert {m["username"]: m["role"] for m in members["items"]} == {
            "olga": "admin",
            "adam": "admin",
            "max": "owner",
            "mia": "member",
        }
        assert_problem(await client.delete(url, headers=await login("olga")), 403, "FORBIDDEN")

    async def test_refusals_change_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
    ) -> None:
        cases: list[tuple[dict[str, Any], int, str, str | None]] = [
            ({"user_id": "{olga}"}, 422, "VALIDATION_ERROR", "user_id"),
            ({"user_id": "{zed}"}, 404, "MEMBER_NOT_FOUND", None),
            ({}, 422, "VALIDATION_ERROR", "user_id"),
            ({"user_id": 3}, 422, "VALIDATION_ERROR", "user_id"),
            ({"user_id": "{zed}", "keep_admin": True}, 422, "VALIDATION_ERROR", "keep_admin"),
        ]
        for body, status, code, field in cases:
            with subtests.test(msg=case_id(body, status, code, field)):
                body = {
                    k: v.format(**user_ids) if isinstance(v, str) else v for k, v in body.items()
                }
                url = f"{WORKSPACES}/{workspace_id}"
                headers = await login("olga")
                response = await client.post(
                    f"{url}/transfer-ownership", json=body, headers=headers
                )
                assert_problem(response, status, code, field)
                assert (await ok(client.get(url, headers=headers)))["my_role"] == "owner"
