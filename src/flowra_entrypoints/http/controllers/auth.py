"""Auth routes of the local identity provider (embedded profile) and the caller's identity."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from flowra_adapters.local.identity import IssuedTokens, LocalIdentityProvider
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_entrypoints.http.auth import Core, CurrentActor
from flowra_entrypoints.http.dto.common import RequestBody, Struct, UserResponse, user_response


class DevTokenRequest(RequestBody):
    username: str
    display_name: str | None = None
    email: str | None = None
    is_system_admin: bool = False


class RefreshRequest(RequestBody):
    refresh_token: str


class LogoutRequest(RequestBody):
    refresh_token: str | None = None


class TokenResponse(Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    refresh_expires_in: int
    user: UserResponse


class MeResponse(UserResponse):
    auth_provider: str


def _local_provider(state: State) -> LocalIdentityProvider:
    identity = state.identity
    if not isinstance(identity, LocalIdentityProvider):
        raise DomainError(ErrorCode.NOT_FOUND, "This route exists only with the local provider")
    return identity


async def _token_response(core: Core, issued: IssuedTokens) -> TokenResponse:
    user = await core.users.provision(issued.claims)
    return TokenResponse(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=issued.expires_in,
        refresh_expires_in=issued.refresh_expires_in,
        user=user_response(user),
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/dev/token", status_code=HTTP_200_OK, summary="Dev login (local provider only)")
    async def dev_token(
        self, data: JSONBody[DevTokenRequest], state: State, core: Core
    ) -> TokenResponse:
        provider = _local_provider(state)
        issued = await provider.issue(
            data.username,
            display_name=data.display_name,
            email=data.email,
            is_system_admin=data.is_system_admin,
        )
        return await _token_response(core, issued)

    @post("/refresh", status_code=HTTP_200_OK, summary="New tokens for a refresh token")
    async def refresh(
        self, data: JSONBody[RefreshRequest], state: State, core: Core
    ) -> TokenResponse:
        issued = await _local_provider(state).refresh(data.refresh_token)
        return await _token_response(core, issued)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, summary="Revoke the refresh token")
    async def logout(
        self, actor: CurrentActor, state: State, data: JSONBody[LogoutRequest | None] = None
    ) -> None:
        if data is not None and data.refresh_token is not None:
            await _local_provider(state).revoke(data.refresh_token)

    @get("/me", summary="The caller")
    async def me(self, actor: CurrentActor, core: Core, state: State) -> MeResponse:
        user = user_response(await core.users.me(actor))
        provider = "local" if isinstance(state.identity, LocalIdentityProvider) else "keycloak"
        return MeResponse(**msgspec.structs.asdict(user), auth_provider=provider)
