"""KeycloakUserDirectory against the real realm `flowra`, both as the master-realm
administrator and as Flowra's service account. Users the tests create are deleted again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from flowra_adapters.keycloak import KeycloakAdminApi, KeycloakUserDirectory, RealmEndpoints
from flowra_adapters.system import SystemClock
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.directory import DirectoryUser

pytestmark = pytest.mark.integration

REALM = "flowra"
CLIENT_ID = "flowra-backend"
CLIENT_SECRET = "flowra-dev-secret"
SEEDED = {"admin", "alice", "bob", "testuser"}


@dataclass
class RealmAdmin:
    """Creates, changes and deletes realm users through the Admin API, as the test's hands."""

    http: httpx.AsyncClient
    created: list[str]

    async def create(self, username: str, *, first: str, last: str) -> str:
        response = await self.http.post(
            f"/admin/realms/{REALM}/users",
            json={
                "username": username,
                "email": f"{username}@flowra.test",
                "firstName": first,
                "lastName": last,
                "enabled": True,
            },
        )
        assert response.status_code == httpx.codes.CREATED, response.text
        user_id = response.headers["location"].rsplit("/", 1)[-1]
        self.created.append(user_id)
        return user_id

    async def disable(self, user_id: str) -> None:
        response = await self.http.put(
            f"/admin/realms/{REALM}/users/{user_id}", json={"enabled": False}
        )
        assert response.status_code == httpx.codes.NO_CONTENT, response.text

    async def delete(self, user_id: str) -> None:
        response = await self.http.delete(f"/admin/realms/{REALM}/users/{user_id}")
        assert response.status_code in {httpx.codes.NO_CONTENT, httpx.codes.NOT_FOUND}


@pytest.fixture
async def realm_admin(
    keycloak_http: httpx.AsyncClient, keycloak_url: str
) -> AsyncIterator[RealmAdmin]:
    token = await keycloak_http.post(
        "/realms/master/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "admin",
            "password": "admin",
        },
    )
    assert token.status_code == httpx.codes.OK, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    async with httpx.AsyncClient(base_url=keycloak_url, headers=headers, timeout=10.0) as http:
        admin = RealmAdmin(http, [])
        try:
            yield admin
        finally:
            for user_id in admin.created:
                await admin.delete(user_id)


@pytest.fixture
def endpoints(keycloak_http: httpx.AsyncClient, keycloak_url: str) -> RealmEndpoints:
    return RealmEndpoints(url=keycloak_url, public_url=keycloak_url, realm=REALM)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture(params=["administrator", "service-account"])
def directory(
    request: pytest.FixtureRequest, http: httpx.AsyncClient, endpoints: RealmEndpoints
) -> KeycloakUserDirectory:
    if request.param == "administrator":
        admin_api = KeycloakAdminApi.as_administrator(
            http=http, endpoints=endpoints, username="admin", password="admin", clock=SystemClock()
        )
    else:
        admin_api = KeycloakAdminApi.as_service_account(
            http=http,
            endpoints=endpoints,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            clock=SystemClock(),
        )
    return KeycloakUserDirectory(admin_api=admin_api, endpoints=endpoints)


async def listed(directory: KeycloakUserDirectory, page_size: int = 2) -> dict[str, DirectoryUser]:
    users: dict[str, DirectoryUser] = {}
    async for page in directory.pages(page_size):
        assert 0 < len(page) <= page_size
        users.update((user.username, user) for user in page)
    return users


class TestListing:
    async def test_seeded_users_are_listed_with_their_profile(
        self, directory: KeycloakUserDirectory
    ) -> None:
        users = await listed(directory)

        assert set(users) >= SEEDED
        assert users["alice"].email == "alice@flowra.test"
        assert users["alice"].display_name == "Alice Anderson"
        assert all(users[name].enabled for name in SEEDED)

    async def test_only_the_admin_role_holder_is_a_system_admin(
        self, directory: KeycloakUserDirectory
    ) -> None:
        users = await listed(directory)

        assert {name for name in SEEDED if users[name].is_system_admin} == {"admin"}

    async def test_service_accounts_are_not_listed(self, directory: KeycloakUserDirectory) -> None:
        users = await listed(directory, page_size=100)

        assert not any(name.startswith("service-account-") for name in users)

    async def test_find_returns_the_listed_user(self, directory: KeycloakUserDirectory) -> None:
        admin = (await listed(directory))["admin"]

        assert await directory.find(admin.external_id) == admin


class TestChangesInKeycloak:
    async def test_created_disabled_and_deleted_users_are_seen(
        self, directory: KeycloakUserDirectory, realm_admin: RealmAdmin
    ) -> None:
        username = f"it-sync-{uuid.uuid4().hex[:10]}"
        user_id = await realm_admin.create(username, first="Sync", last="Probe")

        created = (await listed(directory)).get(username)
        await realm_admin.disable(user_id)
        disabled = await directory.find(user_id)
        await realm_admin.delete(user_id)

        assert created == DirectoryUser(
            external_id=user_id,
            username=username,
            email=f"{username}@flowra.test",
            display_name="Sync Probe",
            enabled=True,
            is_system_admin=False,
        )
        assert disabled is not None
        assert disabled.enabled is False
        assert await directory.find(user_id) is None
        assert username not in await listed(directory)


class TestRefusedCredentials:
    async def test_wrong_admin_password_is_service_unavailable(
        self, http: httpx.AsyncClient, endpoints: RealmEndpoints
    ) -> None:
        admin_api = KeycloakAdminApi.as_administrator(
            http=http, endpoints=endpoints, username="admin", password="wrong", clock=SystemClock()
        )
        directory = KeycloakUserDirectory(admin_api=admin_api, endpoints=endpoints)

        with pytest.raises(ServiceUnavailable):
            await listed(directory)
