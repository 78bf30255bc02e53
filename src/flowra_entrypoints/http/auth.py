"""Who is calling (http-api.md §2): a Bearer token, or else the `flowra_session` cookie of a
browser login → verified claims → provisioned user → Actor.

Bearer wins when both are present, and is exempt from the CSRF check. A cookie-authenticated
POST/PUT/PATCH/DELETE must come from a trusted origin (`Origin`, or failing that `Referer`):
`server.public_url` or an allowed CORS origin.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from flowra_adapters.local.identity import LocalIdentityProvider
from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.app.governance.services import Governance
from flowra_core.app.policy import require_token_scope
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.tokens import TokenScope, is_token_secret
from flowra_core.ports.identity import IdentityClaims
from flowra_core.ports.rate_limit import RateLimiter
from flowra_entrypoints.health import not_used
from flowra_entrypoints.http.audit_trail import mark_token
from flowra_entrypoints.http.request_context import set_rate_decision, set_user_id
from flowra_entrypoints.http.sessions import SESSION_COOKIE, SessionBook, set_session_id
from flowra_entrypoints.identity import CookiePolicy, IdentitySide, origin_of
from flowra_entrypoints.transport_errors import TransportCode, TransportError

BEARER = "bearer"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def identity_of(state: State) -> IdentitySide:
    """The app's IdentitySide. A bare local provider (a container that predates
    `build_identity`) is taken as the local side without browser sessions."""
    identity = state.identity
    if isinstance(identity, IdentitySide):
        return identity
    if isinstance(identity, LocalIdentityProvider):
        return IdentitySide(
            kind="local",
            verifier=identity,
            health=not_used("local"),
            cookies=CookiePolicy(secure=False, trusted_origins=frozenset()),
            local=identity,
        )
    raise TypeError(f"state.identity is a {type(identity).__name__}, not an IdentitySide")


def bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Send an Authorization: Bearer <token> header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != BEARER or not token.strip():
        raise DomainError(ErrorCode.UNAUTHENTICATED, "The Authorization header must be Bearer")
    return token.strip()


def require_trusted_origin(request: Request[Any, Any, Any], cookies: CookiePolicy) -> None:
    """CSRF_REJECTED for a state-changing request from an origin the server does not trust."""
    if request.method not in UNSAFE_METHODS:
        return
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        raise TransportError(
            TransportCode.CSRF_REJECTED, "A cookie-authenticated write must carry an Origin header"
        )
    if origin_of(source) not in cookies.trusted_origins:
        raise TransportError(
            TransportCode.CSRF_REJECTED, "The request comes from an untrusted origin"
        )


async def caller_claims(request: Request[Any, Any, Any], identity: IdentitySide) -> IdentityClaims:
    """The verified claims of the caller: Bearer first, then the session cookie."""
    if request.headers.get("authorization") is not None:
        return await identity.verify(bearer_token(request))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and identity.keycloak is not None:
        return await _session_claims(request, identity, identity.keycloak.sessions, cookie)
    raise DomainError(
        ErrorCode.UNAUTHENTICATED,
        "Send an Authorization: Bearer <token> header or log in (GET /api/v1/auth/login)",
    )


async def _session_claims(
    request: Request[Any, Any, Any], identity: IdentitySide, sessions: SessionBook, cookie: str
) -> IdentityClaims:
    access = await sessions.access(cookie)
    require_trusted_origin(request, identity.cookies)
    set_session_id(request.scope, access.session_id)
    try:
        return await identity.verify(access.access_token)
    except DomainError as error:
        if error.code is not ErrorCode.TOKEN_EXPIRED:
            raise
    # Expired earlier than the IdP said (clock skew): refresh once more.
    access = await sessions.access(cookie, force_refresh=True)
    return await identity.verify(access.access_token)


def _needed_scope(request: Request[Any, Any, Any]) -> TokenScope:
    """`read` for safe methods, else `write`; a route may lower it with the route option
    `token_scope` (POST /ws/ticket only reads)."""
    declared = request.route_handler.opt.get("token_scope")
    if isinstance(declared, TokenScope):
        return declared
    return TokenScope.WRITE if request.method in UNSAFE_METHODS else TokenScope.READ


async def _token_actor(request: Request[Any, Any, Any], secret: str) -> Actor:
    """An API token: checked against the store on every request, then narrowed to its
    scopes and counted in its own rate-limit bucket."""
    state = request.app.state
    governance: Governance = state.governance
    counted = state.metrics.governance.token_authentications
    try:
        caller = await governance.tokens.authenticate(secret)
    except DomainError as error:
        counted.labels(error.code.value.lower()).inc()
        raise
    counted.labels("accepted").inc()
    mark_token(request.scope, caller.token.id)
    set_user_id(request.scope, caller.actor.user_id)
    await _count_request(state, request, "token", caller.token.id)
    require_token_scope(caller.actor, _needed_scope(request), f"{request.method} this resource")
    return caller.actor


async def provide_actor(request: Request[Any, Any, Any], core: Core) -> Actor:
    """Litestar dependency for every authenticated route.

    It takes `core` (another dependency) so Litestar resolves the two one after the other: two
    independent dependencies would be resolved concurrently, in an anyio task group per request.
    The app state is read from the request, which saves building a `State` copy per request.
    """
    state = request.app.state
    header = request.headers.get("authorization")
    if header is not None and is_token_secret(header.partition(" ")[2].strip()):
        return await _token_actor(request, bearer_token(request))
    claims = await caller_claims(request, identity_of(state))
    user = await core.users.provision(claims)
    set_user_id(request.scope, user.id)
    await _count_request(state, request, "user", user.id)
    return Actor(user.id, is_system_admin=user.is_system_admin)


async def _count_request(
    state: State, request: Request[Any, Any, Any], bucket: str, key: str
) -> None:
    """One hit in the caller's bucket: `user` per user, `token` per API token."""
    limiter: RateLimiter | None = state.rate_limiter
    if limiter is None:
        return
    limit, window = state.user_rate_limit
    decision = await limiter.hit(bucket, key, limit=limit, window_seconds=window)
    set_rate_decision(request.scope, decision, f"{limit};w={int(window)}")
    if not decision.allowed:
        raise TransportError(TransportCode.RATE_LIMITED, "Too many requests; slow down")


def provide_core(request: Request[Any, Any, Any]) -> FlowraCore:
    core: FlowraCore = request.app.state.core
    return core


def keycloak_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Route guard: 404 NOT_FOUND unless `auth.provider=keycloak` (before any body check)."""
    identity_of(connection.app.state).require_keycloak()


def local_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Route guard: 404 NOT_FOUND unless `auth.provider=local` (before any body check)."""
    identity_of(connection.app.state).require_local()


# Handler parameter types: injected by name from the app-level dependencies.
CurrentActor = NamedDependency[Actor]
Core = NamedDependency[FlowraCore]
