"""Auth routes (http-api.md "Auth"): the Keycloak code-flow login with browser sessions, code
exchange for non-browser clients, refresh and logout for both providers, the local dev login,
and the caller's identity.

A route of the other provider answers 404 NOT_FOUND, checked by a guard before the body.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, Response
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from loguru import logger

from flowra_adapters.keycloak import OidcTokens
from flowra_adapters.local.identity import IssuedTokens
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable, ValidationFailed
from flowra_core.domain.user.state import User
from flowra_entrypoints.http.auth import (
    Core,
    CurrentActor,
    identity_of,
    keycloak_only,
    local_only,
)
from flowra_entrypoints.http.dto.common import (
    RequestBody,
    Struct,
    UserResponse,
    user_response,
)
from flowra_entrypoints.http.dto.constraints import DevUsername, DisplayName, Email
from flowra_entrypoints.http.error_contract import problems
from flowra_entrypoints.http.sessions import (
    LOGIN_COOKIE,
    LOGIN_COOKIE_PATH,
    LOGIN_STATE_TTL,
    SESSION_COOKIE,
)
from flowra_entrypoints.http.strict_bodies import optional_strict_body
from flowra_entrypoints.identity import CookiePolicy, IdentitySide
from flowra_entrypoints.transport_errors import TransportCode, TransportError

NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class DevTokenRequest(RequestBody):
    username: DevUsername
    display_name: DisplayName | None = None
    email: Email | None = None
    is_system_admin: bool = False


class CodeExchangeRequest(RequestBody):
    code: NonEmpty
    redirect_uri: NonEmpty
    code_verifier: NonEmpty | None = None


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


def safe_redirect_target(redirect_to: str) -> str:
    """A path on this site: starts with `/`, not `//` (nor `/\\`, which browsers read as
    `//`), no control characters; else 422 on `redirect_to` (no open redirect)."""
    unsafe = (
        not redirect_to.startswith("/")
        or redirect_to.startswith("//")
        or "\\" in redirect_to
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in redirect_to)
    )
    if unsafe:
        raise ValidationFailed.single("redirect_to", "must be a path starting with / (not //)")
    return redirect_to


def _cookie(name: str, value: str, *, max_age: int, path: str, policy: CookiePolicy) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path=path,
        httponly=True,
        secure=policy.secure,
        samesite="lax",
    )


def _expired(name: str, *, path: str, policy: CookiePolicy) -> Cookie:
    return Cookie(
        key=name,
        value="",
        max_age=0,
        expires=0,
        path=path,
        httponly=True,
        secure=policy.secure,
        samesite="lax",
    )


def _token_response(
    user: User, *, access: str, refresh: str, expires_in: int, refresh_expires_in: int
) -> TokenResponse:
    return TokenResponse(
        access_token=access,
        refresh_token=refresh,
        token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=expires_in,
        refresh_expires_in=refresh_expires_in,
        user=user_response(user),
    )


async def _local_tokens(core: Core, issued: IssuedTokens) -> TokenResponse:
    user = await core.users.provision(issued.claims)
    return _token_response(
        user,
        access=issued.access_token,
        refresh=issued.refresh_token,
        expires_in=issued.expires_in,
        refresh_expires_in=issued.refresh_expires_in,
    )


async def _idp_user(identity: IdentitySide, core: Core, tokens: OidcTokens) -> User:
    """The user behind fresh IdP tokens (JIT provisioning; 403 USER_INACTIVE)."""
    return await core.users.provision(await identity.verify(tokens.access_token))


async def _idp_tokens(identity: IdentitySide, core: Core, tokens: OidcTokens) -> TokenResponse:
    user = await _idp_user(identity, core, tokens)
    return _token_response(
        user,
        access=tokens.access_token,
        refresh=tokens.refresh_token,
        expires_in=tokens.expires_in,
        refresh_expires_in=tokens.refresh_expires_in,
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @problems(ErrorCode.NOT_FOUND)
    @get("/login", guards=[keycloak_only], summary="Start the browser login (Keycloak)")
    async def login(self, state: State, redirect_to: FromQuery[str] = "/") -> Redirect:
        identity = identity_of(state)
        keycloak = identity.require_keycloak()
        target = safe_redirect_target(redirect_to)
        request = keycloak.oidc.authorization_request(keycloak.redirect_uri)
        pending = _cookie(
            LOGIN_COOKIE,
            keycloak.login_state.seal(request, target),
            max_age=int(LOGIN_STATE_TTL.total_seconds()),
            path=LOGIN_COOKIE_PATH,
            policy=identity.cookies,
        )
        return Redirect(request.url, status_code=302, cookies=[pending])

    @problems(ErrorCode.NOT_FOUND, TransportCode.INVALID_OAUTH_STATE, ErrorCode.LOGIN_FAILED)
    @get("/callback", guards=[keycloak_only], summary="Finish the browser login (Keycloak)")
    async def callback(
        self,
        request: Request[Any, Any, Any],
        state: State,
        core: Core,
        oauth_state: Annotated[str | None, QueryParameter(name="state")] = None,
        code: FromQuery[str | None] = None,
        error: FromQuery[str | None] = None,
    ) -> Redirect:
        identity = identity_of(state)
        keycloak = identity.require_keycloak()
        pending = keycloak.login_state.open(request.cookies.get(LOGIN_COOKIE))
        if oauth_state != pending.state:
            raise TransportError(
                TransportCode.INVALID_OAUTH_STATE, "The login state does not match"
            )
        if error is not None or not code:
            reason = error or "no authorization code"
            raise DomainError(ErrorCode.LOGIN_FAILED, f"The login failed ({reason[:100]})")
        tokens = await keycloak.oidc.exchange_code(
            code, keycloak.redirect_uri, pending.code_verifier, nonce=pending.nonce
        )
        await _idp_user(identity, core, tokens)
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:
            await keycloak.sessions.end(previous)
        session = _cookie(
            SESSION_COOKIE,
            await keycloak.sessions.open(tokens),
            max_age=keycloak.sessions.cookie_max_age,
            path="/",
            policy=identity.cookies,
        )
        used = _expired(LOGIN_COOKIE, path=LOGIN_COOKIE_PATH, policy=identity.cookies)
        return Redirect(pending.redirect_to, status_code=302, cookies=[session, used])

    @problems(ErrorCode.NOT_FOUND, ErrorCode.LOGIN_FAILED)
    @post(
        "/token",
        guards=[keycloak_only],
        status_code=HTTP_200_OK,
        summary="Exchange an authorization code for tokens (Keycloak)",
    )
    async def token(
        self, data: JSONBody[CodeExchangeRequest], state: State, core: Core
    ) -> TokenResponse:
        identity = identity_of(state)
        keycloak = identity.require_keycloak()
        tokens = await keycloak.oidc.exchange_code(data.code, data.redirect_uri, data.code_verifier)
        return await _idp_tokens(identity, core, tokens)

    @problems(ErrorCode.NOT_FOUND, ErrorCode.USER_INACTIVE)
    @post(
        "/dev/token",
        guards=[local_only],
        status_code=HTTP_200_OK,
        summary="Dev login (local provider only)",
    )
    async def dev_token(
        self, data: JSONBody[DevTokenRequest], state: State, core: Core
    ) -> TokenResponse:
        issued = (
            await identity_of(state)
            .require_local()
            .issue(
                data.username,
                display_name=data.display_name,
                email=data.email,
                is_system_admin=data.is_system_admin,
            )
        )
        return await _local_tokens(core, issued)

    @problems(ErrorCode.INVALID_REFRESH_TOKEN)
    @post("/refresh", status_code=HTTP_200_OK, summary="New tokens for a refresh token")
    async def refresh(
        self, data: JSONBody[RefreshRequest], state: State, core: Core
    ) -> TokenResponse:
        identity = identity_of(state)
        if identity.local is not None:
            return await _local_tokens(core, await identity.local.refresh(data.refresh_token))
        keycloak = identity.require_keycloak()
        tokens = await keycloak.oidc.refresh(data.refresh_token)
        return await _idp_tokens(identity, core, tokens)

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        before_request=optional_strict_body,
        summary="End the session, revoke tokens",
    )
    async def logout(
        self,
        actor: CurrentActor,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[LogoutRequest | None] = None,
    ) -> Response[None]:
        identity = identity_of(state)
        given = data.refresh_token if data is not None else None
        if identity.local is not None and given is not None:
            await identity.local.revoke(given)
        if identity.keycloak is not None:
            cookie = request.cookies.get(SESSION_COOKIE)
            held = await identity.keycloak.sessions.end(cookie) if cookie else None
            if held is not None:
                await _end_idp_session(identity, held)
            if given is not None:
                await identity.keycloak.oidc.logout(given)
        expired = _expired(SESSION_COOKIE, path="/", policy=identity.cookies)
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[expired])

    @get("/me", summary="The caller")
    async def me(self, actor: CurrentActor, core: Core, state: State) -> MeResponse:
        user = user_response(await core.users.me(actor))
        return MeResponse(**msgspec.structs.asdict(user), auth_provider=identity_of(state).kind)


async def _end_idp_session(identity: IdentitySide, refresh_token: str) -> None:
    """Best effort for a browser session: ours is gone already, and nobody else holds its
    refresh token; an unreachable IdP is logged, not reported to the browser."""
    assert identity.keycloak is not None
    try:
        await identity.keycloak.oidc.logout(refresh_token)
    except ServiceUnavailable as error:
        logger.bind(logger="http").warning(
            "the IdP session of a logout could not be ended", error=error.reason
        )
