"""Bearer tokens for Keycloak's Admin API, and GETs made with them.

Two ways in: a Keycloak administrator (`keycloak.admin_username`/`admin_password`, password
grant on the master realm's `admin-cli` client), or, without those, the service account of
Flowra's own client (client-credentials grant; needs realm-management view-users).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import httpx

from flowra_adapters.keycloak.endpoints import RealmEndpoints
from flowra_adapters.keycloak.transport import (
    http_get,
    json_object,
    oauth_error,
    post_form,
    unavailable,
)
from flowra_core.ports.clock import Clock

ADMIN_CLI_CLIENT = "admin-cli"
# A token is renewed this long before it expires (master realm tokens live 60 s by default).
EXPIRY_MARGIN = timedelta(seconds=10)


class KeycloakAdminApi:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        token_url: str,
        grant: Mapping[str, str],
        clock: Clock,
    ) -> None:
        self._http = http
        self._token_url = token_url
        self._grant = dict(grant)
        self._clock = clock
        self._token: str | None = None
        self._renew_at: datetime | None = None

    @classmethod
    def as_administrator(
        cls,
        *,
        http: httpx.AsyncClient,
        endpoints: RealmEndpoints,
        username: str,
        password: str,
        clock: Clock,
    ) -> KeycloakAdminApi:
        grant = {
            "grant_type": "password",
            "client_id": ADMIN_CLI_CLIENT,
            "username": username,
            "password": password,
        }
        return cls(http=http, token_url=endpoints.master_token, grant=grant, clock=clock)

    @classmethod
    def as_service_account(
        cls,
        *,
        http: httpx.AsyncClient,
        endpoints: RealmEndpoints,
        client_id: str,
        client_secret: str,
        clock: Clock,
    ) -> KeycloakAdminApi:
        grant = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        return cls(http=http, token_url=endpoints.token, grant=grant, clock=clock)

    async def get(self, url: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """The response to an authenticated GET, whatever its 2xx-4xx status. A 401 (token
        expired early or revoked) is retried once with a new token."""
        response = await http_get(self._http, url, bearer=await self._bearer(), params=params)
        if response.status_code == httpx.codes.UNAUTHORIZED:
            self._token = None
            response = await http_get(self._http, url, bearer=await self._bearer(), params=params)
        if response.status_code == httpx.codes.UNAUTHORIZED:
            raise unavailable(f"the Admin API refused a fresh token for {url}")
        return response

    async def _bearer(self) -> str:
        now = self._clock.now()
        if self._token is not None and self._renew_at is not None and now < self._renew_at:
            return self._token
        response = await post_form(self._http, self._token_url, self._grant)
        if response.status_code != httpx.codes.OK:
            error = oauth_error(response) or f"HTTP {response.status_code}"
            raise unavailable(f"Keycloak refused the Admin API credentials ({error})")
        body = json_object(response)
        token = body.get("access_token")
        expires_in = body.get("expires_in")
        if not isinstance(token, str) or not isinstance(expires_in, int):
            raise unavailable("the token endpoint answered without an access token")
        self._token = token
        self._renew_at = now + timedelta(seconds=expires_in) - EXPIRY_MARGIN
        return token
