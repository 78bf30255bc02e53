"""Invites over HTTP (http-api.md "Workspaces, members, invites"): create, list, revoke, preview
and accept, with every documented error code and bad input per field (with nothing stored).

Acme is owned by olga; adam is an admin, max and mia are members; zed belongs to no workspace.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from flowra_core.testing.clock import FixedClock

from .http_kit import API, STEP, Headers, Login, assert_problem, at, case_id, ok

WORKSPACES = f"{API}/workspaces"
INVITE_FIELDS = {
    "id",
    "workspace_id",
    "token",
    "role",
    "created_by",
    "created_at",
    "expires_at",
    "max_uses",
    "used_count",
    "status",
    "revoked_at",
}


class TestInvites:
    async def test_an_invite_has_a_secret_token_and_defaults(
        self,
        client: httpx.AsyncClient,
        login: Login,
        user_ids: dict[str, str],
        workspace_id: str,
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}/invites"
        response = await client.post(url, json={}, headers=await login("adam"))

        assert response.status_code == 201, response.text
        invite = response.json()
        assert set(invite) == INVITE_FIELDS
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", invite["token"])
        assert (invite["workspace_id"], invite["created_by"]) == (workspace_id, user_ids["adam"])
        assert (invite["role"], invite["max_uses"], invite["used_count"]) == ("member", 0, 0)
        assert (invite["status"], invite["revoked_at"]) == ("active", None)
        assert at(invite["expires_at"]) - at(invite["created_at"]) == timedelta(days=7)
        listed = await ok(client.get(url, headers=await login("olga")))
        assert listed["items"] == [invite]

    async def test_role_expiry_and_uses_can_be_chosen(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, clock: FixedClock
    ) -> None:
        expiry = (clock.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
        body = {"role": " Admin", "expires_at": expiry, "max_uses": 3}
        invite = await ok(
            client.post(
                f"{WORKSPACES}/{workspace_id}/invites", json=body, headers=await login("olga")
            )
        )
        assert (invite["role"], invite["max_uses"]) == ("admin", 3)
        assert invite["expires_at"] == f"{expiry}.000Z"

    async def test_invalid_input_is_422_and_creates_nothing(
        self,
        subtests: pytest.Subtests,
        client: httpx.AsyncClient,
        login: Login,
        workspace_id: str,
        clock: FixedClock,
    ) -> None:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"role": "owner"}, "role"),
            ({"role": "guest"}, "role"),
            ({"role": 2}, "role"),
            ({"expires_at": "2001-01-01"}, "expires_at"),
            ({"expires_at": "{in_31_days}"}, "expires_at"),
            ({"expires_at": "tomorrow"}, "expires_at"),
            ({"expires_at": 1767225600}, "expires_at"),
            ({"max_uses": -1}, "max_uses"),
            ({"max_uses": "two"}, "max_uses"),
            ({"max_uses": 1.5}, "max_uses"),
            ({"token": "mine"}, "token"),
        ]
        for body, field in cases:
            with subtests.test(msg=case_id(body, field)):
                in_31_days = (clock.now() + timedelta(days=31)).date().isoformat()
                body = {
                    k: v.format(in_31_days=in_31_days) if isinstance(v, str) else v
                    for k, v in body.items()
                }
                url = f"{WORKSPACES}/{workspace_id}/invites"
                headers = await login("olga")
                assert_problem(
                    await client.post(url, json=body, headers=headers),
                    422,
                    "VALIDATION_ERROR",
                    field,
                )
                assert (await ok(client.get(url, headers=headers)))["items"] == []

    async def test_invites_come_newest_first_and_filter_by_status(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, clock: FixedClock
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}/invites"
        headers = await login("olga")
        ids = []
        for _ in range(3):
            ids.append((await ok(client.post(url, json={}, headers=headers)))["id"])
            clock.advance(STEP)
        assert (await client.delete(f"{url}/{ids[1]}", headers=headers)).status_code == 204

        listed = await ok(client.get(url, headers=headers))
        assert [i["id"] for i in listed["items"]] == ids[::-1]
        for status, expected in [("revoked", [ids[1]]), ("ACTIVE", [ids[2], ids[0]])]:
            only = await ok(client.get(url, params={"status": status}, headers=headers))
            assert [i["id"] for i in only["items"]] == expected
        first = await ok(client.get(url, params={"limit": 2}, headers=headers))
        rest = await ok(
            client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)
        )
        assert [i["id"] for i in first["items"] + rest["items"]] == ids[::-1]
        bad = await client.get(url, params={"status": "pending"}, headers=headers)
        assert_problem(bad, 422, "VALIDATION_ERROR", "status")

    async def test_revoking_is_idempotent_and_unknown_invites_are_not_found(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, other_workspace_id: str
    ) -> None:
        url = f"{WORKSPACES}/{workspace_id}/invites"
        headers = await login("olga")
        invite = await ok(client.post(url, json={}, headers=headers))
        for _ in range(2):
            assert (
                await client.delete(f"{url}/{invite['id']}", headers=headers)
            ).status_code == 204
        [revoked] = (await ok(client.get(url, headers=headers)))["items"]
        assert revoked["status"] == "revoked"
        assert revoked["revoked_at"] is not None
        foreign = await ok(
            client.post(
                f"{WORKSPACES}/{other_workspace_id}/invites", json={}, headers=await login("otto")
            )
        )
        for invite_id in ["nope", foreign["id"]]:
            response = await client.delete(f"{url}/{invite_id}", headers=headers)
            assert_problem(response, 404, "INVITE_NOT_FOUND")


class TestAcceptInvite:
    async def invite(
        self, client: httpx.AsyncClient, headers: Headers, workspace_id: str, **body: Any
    ) -> dict[str, Any]:
        created: dict[str, Any] = await ok(
            client.post(f"{WORKSPACES}/{workspace_id}/invites", json=body, headers=headers)
        )
        return created

    async def test_anyone_signed_in_previews_and_accepts(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        invite = await self.invite(client, await login("olga"), workspace_id, role="admin")
        zed = await login("zed")
        preview = await ok(client.get(f"{API}/invites/{invite['token']}", headers=zed))
        assert preview == {
            "workspace_id": workspace_id,
            "workspace_name": "Acme",
            "role": "admin",
            "expires_at": invite["expires_at"],
            "status": "active",
        }

        response = await client.post(f"{API}/invites/{invite['token']}/accept", headers=zed)

        assert response.status_code == 200, response.text
        assert (response.json()["id"], response.json()["my_role"]) == (workspace_id, "admin")
        assert response.json()["member_count"] == 5
        [used] = (await ok(client.get(f"{WORKSPACES}/{workspace_id}/invites", headers=zed)))[
            "items"
        ]
        assert used["used_count"] == 1

    async def test_a_member_accepting_does_not_use_the_invite(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        olga = await login("olga")
        invite = await self.invite(client, olga, workspace_id, max_uses=1)
        accepted = await ok(
            client.post(f"{API}/invites/{invite['token']}/accept", headers=await login("max"))
        )
        assert accepted["my_role"] == "member"
        [unused] = (await ok(client.get(f"{WORKSPACES}/{workspace_id}/invites", headers=olga)))[
            "items"
        ]
        assert (unused["used_count"], unused["status"]) == (0, "active")

    async def test_revoked_exhausted_and_expired_invites_are_gone(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str, clock: FixedClock
    ) -> None:
        olga, zed, tom = await login("olga"), await login("zed"), await login("tom")
        revoked = await self.invite(client, olga, workspace_id)
        await client.delete(f"{WORKSPACES}/{workspace_id}/invites/{revoked['id']}", headers=olga)
        exhausted = await self.invite(client, olga, workspace_id, max_uses=1)
        await ok(client.post(f"{API}/invites/{exhausted['token']}/accept", headers=tom))
        expired = await self.invite(client, olga, workspace_id)

        for invite, status, code in [
            (revoked, "revoked", "INVITE_REVOKED"),
            (exhausted, "exhausted", "INVITE_EXHAUSTED"),
            (expired, "expired", "INVITE_EXPIRED"),
        ]:
            if invite is expired:
                clock.advance(timedelta(days=7))  # expires_at is excluded
            preview = await ok(client.get(f"{API}/invites/{invite['token']}", headers=zed))
            assert preview["status"] == status
            response = await client.post(f"{API}/invites/{invite['token']}/accept", headers=zed)
            assert_problem(response, 410, code)
        assert_problem(
            await client.get(f"{WORKSPACES}/{workspace_id}", headers=zed),
            404,
            "WORKSPACE_NOT_FOUND",
        )

    async def test_unknown_tokens_and_invites_of_deleted_workspaces_are_not_found(
        self, client: httpx.AsyncClient, login: Login, workspace_id: str
    ) -> None:
        olga, zed = await login("olga"), await login("zed")
        invite = await self.invite(client, olga, workspace_id)
        await ok(client.delete(f"{WORKSPACES}/{workspace_id}", headers=olga))
        for token in [invite["token"], "A" * 43, "short"]:
            assert_problem(
                await client.get(f"{API}/invites/{token}", headers=zed), 404, "INVITE_NOT_FOUND"
            )
            response = await client.post(f"{API}/invites/{token}/accept", headers=zed)
            assert_problem(response, 404, "INVITE_NOT_FOUND")
