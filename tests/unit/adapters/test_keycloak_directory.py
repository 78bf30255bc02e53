"""KeycloakUserDirectory and its Admin API token against an in-memory Admin API
(httpx.MockTransport): paging, the admin flag, token reuse and renewal, and failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest

from flowra_adapters.keycloak import KeycloakAdminApi, KeycloakUserDirectory, RealmEndpoints
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.directory import DirectoryUser
from flowra_core.testing.clock import FixedClock

ENDPOINTS = RealmEndpoints(url="http://kc", public_url="http://kc", realm="flowra")
ADMIN_PREFIX = "/admin/realms/flowra"


def account(number: int, *, enabled: bool = True) -> dict[str, object]:
    return {
        "id": f"id-{number:03d}",
        "username": f"user{number:03d}",
        "email": f"user{number:03d}@flowra.test",
        "firstName": "User",
        "lastName": f"{number:03d}",
        "enabled": enabled,
    }


@dataclass
class FakeAdminApi:
    """Users in username order, realm role holders, and tokens that live `token_lifetime` s."""

    users: list[dict[str, object]]
    role_holders: dict[str, list[str]] = field(default_factory=dict)
    roles_forbidden: bool = False
    token_lifetime: int = 60
    tokens_issued: int = 0
    revoked: set[str] = field(default_factory=set)
    user_requests: list[dict[str, str]] = field(default_factory=list)
    failing: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/protocol/openid-connect/token"):
            self.tokens_issued += 1
            body = {"access_token": f"t{self.tokens_issued}", "expires_in": self.token_lifetime}
            return httpx.Response(200, json=body)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") in self.revoked:
            return httpx.Response(401, json={"error": "HTTP 401 Unauthorized"})
        if self.failing:
            return httpx.Response(503)
        return self._admin(path.removeprefix(ADMIN_PREFIX), dict(request.url.params))

    def _admin(self, path: str, params: dict[str, str]) -> httpx.Response:
        parts = path.strip("/").split("/")
        if parts == ["users"]:
            self.user_requests.append(params)
            first, size = int(params["first"]), int(params["max"])
            return httpx.Response(200, json=self.users[first : first + size])
        if parts[0] == "roles":
            if self.roles_forbidden:
                return httpx.Response(403, json={"error": "HTTP 403 Forbidden"})
            if parts[1] not in self.role_holders:
                return httpx.Response(404, json={"error": "Could not find role"})
            first, size = int(params["first"]), int(params["max"])
            holders = [{"id": user_id} for user_id in self.role_holders[parts[1]]]
            return httpx.Response(200, json=holders[first : first + size])
        user = next((user for user in self.users if user["id"] == parts[1]), None)
        if user is None:
            return httpx.Response(404, json={"error": "User not found"})
        if parts[2:] == ["role-mappings", "realm", "composite"]:
            names = [role for role, ids in self.role_holders.items() if user["id"] in ids]
            return httpx.Response(200, json=[{"name": name} for name in ["user", *names]])
        return httpx.Response(200, json=user)


@dataclass
class Harness:
    api: FakeAdminApi
    clock: FixedClock
    directory: KeycloakUserDirectory


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    api = FakeAdminApi(users=[account(number) for number in range(1, 6)])
    clock = FixedClock()
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as http:
        admin_api = KeycloakAdminApi.as_administrator(
            http=http, endpoints=ENDPOINTS, username="admin", password="pw", clock=clock
        )
        yield Harness(api, clock, KeycloakUserDirectory(admin_api=admin_api, endpoints=ENDPOINTS))


async def all_pages(directory: KeycloakUserDirectory, page_size: int) -> list[list[str]]:
    return [[user.username for user in page] async for page in directory.pages(page_size)]


class TestPages:
    async def test_pages_cover_every_user_in_order(self, harness: Harness) -> None:
        pages = await all_pages(harness.directory, 2)

        assert pages == [["user001", "user002"], ["user003", "user004"], ["user005"]]

    async def test_full_last_page_ends_on_an_empty_read(self, harness: Harness) -> None:
        harness.api.users = harness.api.users[:4]

        pages = await all_pages(harness.directory, 2)

        assert len(pages) == 2
        assert [request["first"] for request in harness.api.user_requests] == ["0", "2", "4"]

    async def test_empty_realm_yields_no_page(self, harness: Harness) -> None:
        harness.api.users = []

        assert await all_pages(harness.directory, 100) == []

    async def test_user_fields_are_mapped(self, harness: Harness) -> None:
        harness.api.users = [
            account(1, enabled=False),
            {"id": "id-bare", "username": "bare", "firstName": " ", "enabled": True},
        ]

        users = [user async for page in harness.directory.pages() for user in page]

        assert users == [
            DirectoryUser("id-001", "user001", "user001@flowra.test", "User 001", False, False),
            DirectoryUser("id-bare", "bare", None, None, True, False),
        ]

    async def test_failing_page_is_service_unavailable(self, harness: Harness) -> None:
        harness.api.failing = True

        with pytest.raises(ServiceUnavailable):
            await all_pages(harness.directory, 2)


class TestAdminFlag:
    async def test_holders_of_admin_or_system_admin_are_admins(self, harness: Harness) -> None:
        harness.api.role_holders = {"admin": ["id-002"], "system-admin": ["id-004"]}

        users = [user async for page in harness.directory.pages(2) for user in page]

        assert [user.username for user in users if user.is_system_admin] == ["user002", "user004"]

    async def test_effective_roles_are_read_per_user_when_roles_are_forbidden(
        self, harness: Harness
    ) -> None:
        harness.api.role_holders = {"admin": ["id-003"]}
        harness.api.roles_forbidden = True

        users = [user async for page in harness.directory.pages(2) for user in page]

        assert [user.username for user in users if user.is_system_admin] == ["user003"]


class TestFind:
    async def test_finds_a_user_with_its_admin_flag(self, harness: Harness) -> None:
        harness.api.role_holders = {"admin": ["id-003"]}

        found = await harness.directory.find("id-003")

        assert found == DirectoryUser(
            "id-003", "user003", "user003@flowra.test", "User 003", True, True
        )

    async def test_unknown_user_is_none(self, harness: Harness) -> None:
        assert await harness.directory.find("local:alice") is None


class TestAdminToken:
    async def test_token_is_reused_until_ten_seconds_before_expiry(self, harness: Harness) -> None:
        await all_pages(harness.directory, 2)
        harness.clock.advance(timedelta(seconds=49))
        await harness.directory.find("id-001")
        issued_before_renewal = harness.api.tokens_issued
        harness.clock.advance(timedelta(seconds=1))
        await harness.directory.find("id-001")

        assert (issued_before_renewal, harness.api.tokens_issued) == (1, 2)

    async def test_rejected_token_is_replaced_once(self, harness: Harness) -> None:
        await harness.directory.find("id-001")
        harness.api.revoked.add("t1")

        found = await harness.directory.find("id-002")

        assert (found is not None, harness.api.tokens_issued) == (True, 2)

    async def test_refused_credentials_are_service_unavailable(self) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            return httpx.Response(401, json={"error": "invalid_grant"})

        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
            admin_api = KeycloakAdminApi.as_service_account(
                http=http,
                endpoints=ENDPOINTS,
                client_id="flowra-backend",
                client_secret="wrong",
                clock=FixedClock(),
            )
            directory = KeycloakUserDirectory(admin_api=admin_api, endpoints=ENDPOINTS)

            with pytest.raises(ServiceUnavailable):
                await directory.find("id-001")
