"""The realm's users through Keycloak's Admin API, for the user sync (operations.md §5).

Users are listed with `first`/`max` offsets in Keycloak's order (by username); service
accounts are not listed. The admin flag comes from the holders of the realm roles `admin`
and `system-admin`, listed once per run; when the credentials may not read roles (the
service account has view-users only), from each user's effective realm roles instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any

import httpx

from flowra_adapters.keycloak.admin import KeycloakAdminApi
from flowra_adapters.keycloak.endpoints import RealmEndpoints
from flowra_adapters.keycloak.transport import json_list, json_object, unavailable
from flowra_adapters.keycloak.verifier import ADMIN_ROLES
from flowra_core.ports.directory import DirectoryUser

ROLE_PAGE_SIZE = 500


class KeycloakUserDirectory:
    def __init__(self, *, admin_api: KeycloakAdminApi, endpoints: RealmEndpoints) -> None:
        self._api = admin_api
        self._endpoints = endpoints

    async def pages(self, page_size: int = 100) -> AsyncIterator[list[DirectoryUser]]:
        admin_ids = await self._role_holders(ADMIN_ROLES)
        first = 0
        while True:
            entries = await self._list(
                self._endpoints.admin_users,
                {"first": first, "max": page_size, "briefRepresentation": "true"},
            )
            if not entries:
                return
            yield [await self._user(entry, admin_ids) for entry in entries]
            if len(entries) < page_size:
                return
            first += len(entries)

    async def find(self, external_id: str) -> DirectoryUser | None:
        response = await self._api.get(self._endpoints.admin_user(external_id))
        if response.status_code == httpx.codes.NOT_FOUND:
            return None
        _require_ok(response)
        return await self._user(json_object(response), None)

    async def _user(self, entry: object, admin_ids: Collection[str] | None) -> DirectoryUser:
        if not isinstance(entry, dict):
            raise unavailable("the Admin API listed a user that is not an object")
        user_id = entry.get("id")
        username = entry.get("username")
        if not isinstance(user_id, str) or not isinstance(username, str):
            raise unavailable("the Admin API listed a user without id or username")
        if admin_ids is None:
            is_admin = await self._holds_admin_role(user_id)
        else:
            is_admin = user_id in admin_ids
        return DirectoryUser(
            external_id=user_id,
            username=username,
            email=_text(entry, "email"),
            display_name=_full_name(entry),
            enabled=entry.get("enabled") is True,
            is_system_admin=is_admin,
        )

    async def _role_holders(self, roles: Collection[str]) -> set[str] | None:
        """Ids of the direct holders of any of `roles`; None when roles may not be read."""
        holders: set[str] = set()
        for role in roles:
            first = 0
            while True:
                response = await self._api.get(
                    self._endpoints.admin_role_users(role),
                    {"first": first, "max": ROLE_PAGE_SIZE, "briefRepresentation": "true"},
                )
                if response.status_code == httpx.codes.FORBIDDEN:
                    return None
                if response.status_code == httpx.codes.NOT_FOUND:  # the realm lacks the role
                    break
                _require_ok(response)
                entries = json_list(response)
                holders.update(_ids(entries))
                if len(entries) < ROLE_PAGE_SIZE:
                    break
                first += len(entries)
        return holders

    async def _holds_admin_role(self, user_id: str) -> bool:
        entries = await self._list(self._endpoints.admin_user_realm_roles(user_id))
        names = {entry.get("name") for entry in entries if isinstance(entry, dict)}
        return not ADMIN_ROLES.isdisjoint(names)

    async def _list(self, url: str, params: Mapping[str, str | int] | None = None) -> list[Any]:
        response = await self._api.get(url, params)
        _require_ok(response)
        return json_list(response)


def _require_ok(response: httpx.Response) -> None:
    if response.status_code != httpx.codes.OK:
        raise unavailable(f"{response.request.url} answered {response.status_code}")


def _ids(entries: list[Any]) -> set[str]:
    return {
        entry["id"]
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("id"), str)
    }


def _text(entry: Mapping[str, Any], field: str) -> str | None:
    value = entry.get(field)
    return value if isinstance(value, str) and value else None


def _full_name(entry: Mapping[str, Any]) -> str | None:
    """First and last name joined as Keycloak's `name` claim does; None when both are empty."""
    parts = [_text(entry, "firstName"), _text(entry, "lastName")]
    joined = " ".join(part.strip() for part in parts if part and part.strip())
    return joined or None
