"""The identity side of the server, built from the settings (`auth.provider`).

`local`: the local provider verifies its own HS256 tokens and issues dev tokens; there are no
browser sessions. `keycloak`: realm tokens are verified against the JWKS, and the OIDC client
serves the code-flow login, refresh and logout, with browser sessions kept in the
EphemeralStore. Either way the IdentitySide is itself a TokenVerifier, and it carries the
`identity_provider` health check (operations.md §7).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import urlsplit

import httpx
from loguru import logger

from flowra_adapters.local.identity import LocalIdentityProvider
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.ports.clock import Clock, SecretTokens
from flowra_core.ports.ephemeral import EphemeralStore
from flowra_core.ports.identity import IdentityClaims, TokenVerifier
from flowra_entrypoints.health import ComponentHealth, HealthCheck, not_used
from flowra_entrypoints.settings import Settings

if TYPE_CHECKING:
    # Imported where they are built: a process on the local provider (and `flowra-worker
    # dead-letters`) never loads the JWT and crypto stack.
    from flowra_adapters.keycloak import (
        AuthorizationRequest,
        KeycloakTokenVerifier,
        OidcTokens,
        RealmEndpoints,
    )
    from flowra_entrypoints.http.sessions import LoginStateSeal, SessionBook

ProviderKind = Literal["local", "keycloak"]
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OidcClient(Protocol):
    """What the routes need of the IdP's OIDC endpoints (KeycloakOidcClient)."""

    def authorization_request(self, redirect_uri: str) -> AuthorizationRequest: ...

    async def exchange_code(
        self,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
        *,
        nonce: str | None = None,
    ) -> OidcTokens: ...

    async def refresh(self, refresh_token: str) -> OidcTokens: ...

    async def logout(self, refresh_token: str) -> None: ...


def origin_of(url: str) -> str | None:
    """`https://Chat.Example.com:443/app` → `https://chat.example.com`; None when `url` has
    no http(s) origin (`null`, a bare path)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    suffix = "" if port is None or port == _DEFAULT_PORTS[scheme] else f":{port}"
    return f"{scheme}://{host}{suffix}"


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    """Cookie attributes and the origins a cookie-authenticated write may come from."""

    secure: bool
    trusted_origins: frozenset[str]

    @classmethod
    def of(cls, *, secure: bool, trusted_urls: Iterable[str]) -> CookiePolicy:
        origins = (origin_of(url) for url in trusted_urls)
        return cls(secure=secure, trusted_origins=frozenset(o for o in origins if o))


@dataclass(frozen=True, slots=True)
class KeycloakLogin:
    """The browser and code-exchange side of the Keycloak provider."""

    oidc: OidcClient
    sessions: SessionBook
    login_state: LoginStateSeal
    redirect_uri: str  # `<server.public_url>/api/v1/auth/callback`


@dataclass(frozen=True, slots=True)
class IdentitySide:
    kind: ProviderKind
    verifier: TokenVerifier
    health: HealthCheck
    cookies: CookiePolicy
    local: LocalIdentityProvider | None = None
    keycloak: KeycloakLogin | None = None
    # Run once at startup (Keycloak: fetch the realm keys early).
    warm_up: Callable[[], Awaitable[None]] | None = None

    async def verify(self, token: str) -> IdentityClaims:
        return await self.verifier.verify(token)

    async def start(self) -> None:
        """Startup work; a failure is logged (and shows in health), never fatal."""
        if self.warm_up is None:
            return
        try:
            await self.warm_up()
        except ServiceUnavailable as error:
            logger.bind(logger="app").warning(
                "identity provider not reachable at startup", error=error.reason
            )

    def require_local(self) -> LocalIdentityProvider:
        if self.local is None:
            raise DomainError(ErrorCode.NOT_FOUND, "This route exists only with the local provider")
        return self.local

    def require_keycloak(self) -> KeycloakLogin:
        if self.keycloak is None:
            raise DomainError(ErrorCode.NOT_FOUND, "This route exists only with Keycloak")
        return self.keycloak


def keycloak_health(verifier: KeycloakTokenVerifier) -> HealthCheck:
    """Degraded while the latest JWKS refresh has failed."""

    async def check() -> ComponentHealth:
        if verifier.last_refresh_failed:
            return ComponentHealth(
                status="degraded",
                message="the last refresh of the realm keys failed",
                backend="keycloak",
            )
        return ComponentHealth(status="healthy", backend="keycloak")

    return check


def cookie_policy(settings: Settings) -> CookiePolicy:
    return CookiePolicy.of(
        secure=settings.is_production,
        trusted_urls=[settings.server.public_url, *settings.cors.allowed_origins],
    )


def realm_endpoints(settings: Settings) -> RealmEndpoints:
    from flowra_adapters.keycloak import RealmEndpoints

    keycloak = settings.keycloak
    return RealmEndpoints(url=keycloak.url, public_url=keycloak.public_url, realm=keycloak.realm)


def build_identity(
    settings: Settings,
    clock: Clock,
    tokens: SecretTokens,
    ephemeral: EphemeralStore,
    http_client: httpx.AsyncClient,
) -> IdentitySide:
    if settings.auth.provider == "local":
        local = LocalIdentityProvider(
            secret=settings.auth.jwt_secret,
            access_ttl=settings.auth.access_token_ttl,
            refresh_ttl=settings.auth.refresh_token_ttl,
            clock=clock,
            tokens=tokens,
            store=ephemeral,
        )
        return IdentitySide(
            kind="local",
            verifier=local,
            health=not_used("local"),
            cookies=cookie_policy(settings),
            local=local,
        )
    from flowra_adapters.keycloak import HttpJwksSource, KeycloakOidcClient, KeycloakTokenVerifier

    endpoints = realm_endpoints(settings)
    verifier = KeycloakTokenVerifier(
        jwks=HttpJwksSource(http_client, endpoints.certs),
        issuer=endpoints.issuer,
        client_id=settings.keycloak.client_id,
        audience=settings.keycloak.audience,
        refresh_interval=settings.keycloak.jwks_refresh_interval,
        clock=clock,
    )
    oidc = KeycloakOidcClient(
        http=http_client,
        endpoints=endpoints,
        client_id=settings.keycloak.client_id,
        client_secret=settings.keycloak.client_secret,
        tokens=tokens,
    )
    return IdentitySide(
        kind="keycloak",
        verifier=verifier,
        health=keycloak_health(verifier),
        cookies=cookie_policy(settings),
        keycloak=keycloak_login(settings, oidc, clock=clock, tokens=tokens, ephemeral=ephemeral),
        warm_up=verifier.refresh_keys,
    )


def keycloak_login(
    settings: Settings,
    oidc: OidcClient,
    *,
    clock: Clock,
    tokens: SecretTokens,
    ephemeral: EphemeralStore,
) -> KeycloakLogin:
    """The login side around any OIDC client (tests pass a fake one)."""
    from flowra_entrypoints.http.sessions import LoginStateSeal, SessionBook

    sessions = SessionBook(
        store=ephemeral,
        tokens=tokens,
        clock=clock,
        refresher=oidc,
        secret=settings.auth.jwt_secret,
        max_lifetime=settings.auth.refresh_token_ttl,
    )
    return KeycloakLogin(
        oidc=oidc,
        sessions=sessions,
        login_state=LoginStateSeal(secret=settings.auth.jwt_secret, clock=clock),
        redirect_uri=settings.server.oidc_redirect_uri,
    )
