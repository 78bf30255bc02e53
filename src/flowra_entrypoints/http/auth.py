"""Who is calling: bearer token → verified claims → provisioned user → Actor."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.ports.identity import TokenVerifier
from flowra_core.ports.rate_limit import RateLimiter
from flowra_entrypoints.http.request_context import set_rate_decision, set_user_id

BEARER = "bearer"


def bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Send an Authorization: Bearer <token> header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != BEARER or not token.strip():
        raise DomainError(ErrorCode.UNAUTHENTICATED, "The Authorization header must be Bearer")
    return token.strip()


async def provide_actor(request: Request[Any, Any, Any], state: State) -> Actor:
    """Litestar dependency for every authenticated route."""
    verifier: TokenVerifier = state.identity
    core: FlowraCore = state.core
    claims = await verifier.verify(bearer_token(request))
    user = await core.users.provision(claims)
    set_user_id(request.scope, user.id)
    await _count_user_request(state, request, user.id)
    return Actor(user.id, is_system_admin=user.is_system_admin)


async def _count_user_request(state: State, request: Request[Any, Any, Any], user_id: str) -> None:
    limiter: RateLimiter | None = state.rate_limiter
    if limiter is None:
        return
    limit, window = state.user_rate_limit
    decision = await limiter.hit("user", user_id, limit=limit, window_seconds=window)
    set_rate_decision(request.scope, decision, f"{limit};w={int(window)}")
    if not decision.allowed:
        raise DomainError(ErrorCode.RATE_LIMITED, "Too many requests; slow down")


async def provide_core(state: State) -> FlowraCore:
    core: FlowraCore = state.core
    return core


# Handler parameter types: injected by name from the app-level dependencies.
CurrentActor = NamedDependency[Actor]
Core = NamedDependency[FlowraCore]
