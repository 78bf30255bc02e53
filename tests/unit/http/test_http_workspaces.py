"""Workspaces over HTTP (http-api.md "Workspaces, members, invites"): create, list, read, edit and
delete, with every documented error code, bad input per field (with nothing stored) and paging.

Acme is owned by olga; adam is an admin, max and mia are members; zed belongs to no workspace.
Members are in test_http_workspaces_members.py, invites in test_http_workspaces_invites.py, and
who may call what in test_http_authorization_matrix.py.
"""

from __future__ import annotations

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import API, STEP, Login, MakeChat, assert_problem, at, case_id, ok

WORKSPACES = f"{API}/workspaces"
WORKSPACE_FIELDS = {
    "id",
    "name",
    "description",
    "created_by",
    "created_at",
    "updated_at",
    "member_count",
    "my_role",
}


class TestCreateWorkspace:
    async def test_the_creator_becomes_the_owner(
        self, client: httpx.AsyncClient, login: Login, user_ids: dict[str, str]
    ) -> None:
        headers = await login("olga")
        body = {"name": "  Acme  ", "description": " Rockets "}
        response = await client.post(WORKSPACES, json=body, headers=headers)

        assert response.status_code == 201
        workspace = response.json()
        assert set(workspace) == WORKSPACE_FIELDS
        assert response.headers["location"] == f"{WORKSPACES}/{workspace['id']}"
        assert workspace["name"] == "Acme"
        assert workspace["description"] == "Rockets"
        assert workspace["created_by"] == user_ids["olga"]
        assert workspace["member_count"] == 1
        assert workspace["my_role"] == "owner"
        assert workspace["created_at"] == workspace["updated_at"]
        assert await ok(client.get(response.headers["location"], headers=headers)) == workspace
        members = await ok(client.get(f"{response.headers['location']}/members", headers=headers))
        assert [(m["username"], m["role"]) for m in members["items"]] == [("olga", "owner")]

    async def test_the_description_defaults_to_empty(
        self, client: httpx.AsyncClient, login: Login
    ) -> None:
        body = await ok(client.post(WORKSPACES, json={"name": "A"}, headers=await login("olga")))
        assert body["description"] == ""

    async def test_invalid_input_is_422_on_the_field_and_stores_nothing(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login
    ) -> None:
        for body, field in [
            ({}, "name"),
            ({"name": ""}, "name"),
            ({"name": " \t "}, "name"),
            ({"name": "x" * 101}, "name"),
            ({"name": 5}, "name"),
            ({"name": None}, "name"),
            ({"name": "Acme", "description": "x" * 501}, "description"),
            ({"name": "Acme", "description": ["x"]}, "description"),
            ({"name": "Acme", "owner_id": "someone"}, "owner_id"),
        ]:
            with subtests.test(msg=case_id(body, field)):
                headers = await login("olga")
                response = await client.post(WORKSPACES, json=body, headers=headers)
                assert_problem(response, 422, "VALIDATION_ERROR", field)
                assert (await ok(client.get(WORKSPACES, headers=headers)))["items"] == []

    async def test_the_longest_name_and_description_are_accepted(
        self, client: httpx.AsyncClient, login: Login
    ) -> None:
        body = {"name": "n" * 100, "description": "d" * 500}
        response = await client.post(WORKSPACES, json=body, headers=await login("olga"))
        assert response.status_code == 201, response.text

    async def test_an_unparsable_body_is_malformed(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login
    ) -> None:
        for content in [b"{broken", b"[]", b'"Acme"', b""]:
            with subtests.test(msg=case_id(content)):
                headers = {**await login("olga"), "content-type": "application/json"}
                response = await client.post(WORKSPACES, content=content, headers=headers)
                assert_problem(response, 400, "MALFORMED_REQUEST")
                assert (await ok(client.get(WORKSPACES, headers=headers)))["items"] == []


class TestListWorkspaces:
    async def test_my_workspaces_come_by_name_with_my_role(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, other_workspace_id: str
    ) -> None:
        olga = await login("olga")
        await ok(client.post(WORKSPACES, json={"name": "beta"}, headers=olga))
        await ok(client.post(WORKSPACES, json={"name": "Zulu"}, headers=await login("max")))

        listed = await ok(client.get(WORKSPACES, headers=olga))
        assert [(w["name"], w["my_role"]) for w in listed["items"]] == [
            ("Acme", "owner"),
            ("beta", "owner"),
        ]
        assert listed["next_cursor"] is None
        for_max = await ok(client.get(WORKSPACES, headers=await login("max")))
        assert [(w["name"], w["my_role"]) for w in for_max["items"]] == [
            ("Acme", "member"),
            ("Zulu", "owner"),
        ]

    async def test_a_sysadmin_lists_every_workspace_with_all(
        self,
        client: httpx.AsyncClient,
        login_sysadmin: Login,
        workspace_id: str,
        other_workspace_id: str,
    ) -> None:
        root = await login_sysadmin("root")
        assert (await ok(client.get(WORKSPACES, headers=root)))["items"] == []
        for flag in ["true", "1"]:
            listed = await ok(client.get(WORKSPACES, params={"all": flag}, headers=root))
            assert [(w["name"], w["my_role"]) for w in listed["items"]] == [
                ("Acme", "system_admin"),
                ("Globex", "system_admin"),
            ]

    async def test_pages_stay_stable_when_workspaces_arrive_between_them(
        self, client: httpx.AsyncClient, login: Login
    ) -> None:
        headers = await login("olga")
        for name in ["a", "c", "e"]:
            await ok(client.post(WORKSPACES, json={"name": name}, headers=headers))
        first = await ok(client.get(WORKSPACES, params={"limit": 2}, headers=headers))
        assert [w["name"] for w in first["items"]] == ["a", "c"]
        for name in ["b", "d"]:
            await ok(client.post(WORKSPACES, json={"name": name}, headers=headers))

        params = {"limit": 2, "cursor": first["next_cursor"]}
        second = await ok(client.get(WORKSPACES, params=params, headers=headers))
        assert [w["name"] for w in second["items"]] == ["d", "e"]
        assert second["next_cursor"] is None

    async def test_bad_parameters_are_422(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for params, field in [
            ({"limit": "0"}, "limit"),
            ({"limit": "101"}, "limit"),
            ({"limit": "ten"}, "limit"),
            ({"cursor": "garbage"}, "cursor"),
            ({"all": "maybe"}, "all"),
        ]:
            with subtests.test(msg=case_id(params, field)):
                response = await client.get(WORKSPACES, params=params, headers=await login("olga"))
                assert_problem(response, 422, "VALIDATION_ERROR", field)

    async def test_a_cursor_of_another_list_is_refused(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        headers = await login("olga")
        await ok(client.post(WORKSPACES, json={"name": "Second"}, headers=headers))
        page = await ok(client.get(WORKSPACES, params={"limit": 1}, headers=headers))
        members_url = f"{WORKSPACES}/{workspace_id}/members"
        for url in [members_url, f"{API}/users"]:
            response = await client.get(
                url, params={"cursor": page["next_cursor"]}, headers=headers
            )
            assert_problem(response, 422, "VALIDATION_ERROR", "cursor")


class TestGetWorkspace:
    async def test_members_and_sysadmins_see_it_with_their_role(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}"
        for headers, role in [
            (await login("olga"), "owner"),
            (await login("adam"), "admin"),
            (await login("mia"), "member"),
            (await login_sysadmin("root"), "system_admin"),
        ]:
            workspace = await ok(client.get(url, headers=headers))
            assert (workspace["name"], workspace["member_count"], workspace["my_role"]) == (
                "Acme",
                4,
                role,
            )

    async def test_an_unknown_or_malformed_id_is_not_found(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login
    ) -> None:
        for workspace in ["0b7e4a8e-0000-4000-8000-000000000000", "not-an-id"]:
            with subtests.test(msg=case_id(workspace)):
                response = await client.get(
                    f"{WORKSPACES}/{workspace}", headers=await login("olga")
                )
                assert_problem(response, 404, "WORKSPACE_NOT_FOUND")


class TestUpdateWorkspace:
    async def test_an_admin_renames_and_describes(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, clock: FixedClock
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}"
        before = await ok(client.get(url, headers=await login("olga")))
        clock.advance(STEP)
        body = {"name": " Acme Corp ", "description": "We build"}
        updated = await ok(client.patch(url, json=body, headers=await login("adam")))

        assert (updated["name"], updated["description"], updated["my_role"]) == (
            "Acme Corp",
            "We build",
            "admin",
        )
        assert at(updated["updated_at"]) == at(before["updated_at"]) + STEP
        assert await ok(client.get(url, headers=await login("mia"))) == {
            **updated,
            "my_role": "member",
        }

    async def test_one_field_leaves_the_other_unchanged(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}"
        headers = await login("olga")
        await ok(client.patch(url, json={"description": "Rockets"}, headers=headers))
        updated = await ok(client.patch(url, json={"name": "Acme 2"}, headers=headers))
        assert (updated["name"], updated["description"]) == ("Acme 2", "Rockets")

    async def test_the_same_values_change_nothing(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, clock: FixedClock
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}"
        headers = await login("olga")
        before = await ok(client.get(url, headers=headers))
        clock.advance(STEP)
        after = await ok(client.patch(url, json={"name": "Acme"}, headers=headers))
        assert after == before

    async def test_invalid_input_is_422_and_changes_nothing(
        self, subtests: pytest.Subtests, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        for body, field in [
            ({}, "body"),
            ({"name": ""}, "name"),
            ({"name": "x" * 101}, "name"),
            ({"name": 1}, "name"),
            ({"name": None}, "name"),
            ({"description": "x" * 501}, "description"),
            ({"description": False}, "description"),
            ({"name": "New", "colour": "red"}, "colour"),
        ]:
            with subtests.test(msg=case_id(body, field)):
                url = f"{WORKSPACES}/{workspace_id}"
                headers = await login("olga")
                before = await ok(client.get(url, headers=headers))
                response = await client.patch(url, json=body, headers=headers)
                assert_problem(response, 422, "VALIDATION_ERROR", field)
                assert await ok(client.get(url, headers=headers)) == before

    async def test_garbage_is_malformed(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        headers = {**await login("olga"), "content-type": "application/json"}
        response = await client.patch(f"{WORKSPACES}/{workspace_id}", content=b"{", headers=headers)
        assert_problem(response, 400, "MALFORMED_REQUEST")


class TestDeleteWorkspace:
    async def test_a_deleted_workspace_and_its_chats_are_gone_for_everyone(
        self,
        client: httpx.AsyncClient,
        login: Login,
        login_sysadmin: Login,
        workspace_id: str,
        make_chat: MakeChat,
    ) -> None:
        chat_id = await make_chat("olga", participants=["max"])
        url = f"{WORKSPACES}/{workspace_id}"
        response = await client.delete(url, headers=await login("olga"))
        assert response.status_code == 204
        assert response.content == b""

        for headers in [await login("olga"), await login("max"), await login_sysadmin("root")]:
            assert_problem(await client.get(url, headers=headers), 404, "WORKSPACE_NOT_FOUND")
            chat = await client.get(f"{url}/chats/{chat_id}", headers=headers)
            assert_problem(chat, 404, "WORKSPACE_NOT_FOUND")
        assert (await ok(client.get(WORKSPACES, headers=await login("max"))))["items"] == []
        everything = await client.get(
            WORKSPACES, params={"all": "true"}, headers=await login_sysadmin("root")
        )
        assert everything.json()["items"] == []
        again = await client.delete(url, headers=await login("olga"))
        assert_problem(again, 404, "WORKSPACE_NOT_FOUND")
