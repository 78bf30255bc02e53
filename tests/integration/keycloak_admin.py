"""The tests' hands in Keycloak: realm users created, changed and deleted through the Admin API,
with every user a test created deleted when it ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

REALM = "flowra"
PASSWORD = "test123"


@dataclass
class RealmAdmin:
    http: httpx.AsyncClient
    created: list[str]

    async def create(self, username: str, *, first: str, last: str) -> str:
        """An enabled user with a verified email and the password PASSWORD; returns its id."""
        response = await self.http.post(
            f"/admin/realms/{REALM}/users",
            json={
                "username": username,
                "email": f"{username}@flowra.test",
                "firstName": first,
                "lastName": last,
                "enabled": True,
                "emailVerified": True,
                "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}],
            },
        )
        assert response.status_code == httpx.codes.CREATED, response.text
        user_id = response.headers["location"].rsplit("/", 1)[-1]
        self.created.append(user_id)
        return user_id

    async def update(self, user_id: str, **fields: object) -> None:
        response = await self.http.put(f"/admin/realms/{REALM}/users/{user_id}", json=fields)
        assert response.status_code == httpx.codes.NO_CONTENT, response.text

    async def delete(self, user_id: str) -> None:
        response = await self.http.delete(f"/admin/realms/{REALM}/users/{user_id}")
        assert response.status_code in {httpx.codes.NO_CONTENT, httpx.codes.NOT_FOUND}


@asynccontextmanager
async def realm_admin_session(
    keycloak_http: httpx.AsyncClient, keycloak_url: str
) -> AsyncIterator[RealmAdmin]:
    """A RealmAdmin logged in as the master realm's admin; deletes what it created on exit."""
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
