"""KeycloakUserDirectory against the real realm `flowra`, both as the master-realm
administrator and as Flowra's service account. Users the tests create are deleted again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from flowra_adapters.keycloak import KeycloakAdminApi, KeycloakUserDirectory, RealmEndpoints
from flowra_adapters.system import SystemClock
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.directory import DirectoryUser

from .keycloak_admin import RealmAdmin, realm_admin_session

pytestmark = pytest.mark.integration

REALM = "flowra"
CLIENT_ID = "flowra-backend"
CLIENT_SECRET = "flowra-dev-secret"
SEEDED = {"admin", "alice", "bob", "testuser"}


@pytest.fixture
async def realm_admin(
    keycloak_http: httpx.AsyncClient, keycloak_url: str
) -> AsyncIterator[RealmAdmin]:
    async with realm_admin_session(keycloak_http, keycloak_url) as admin:
        yield admin


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
        await realm_admin.update(user_id, enabled=False)
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
