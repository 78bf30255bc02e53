"""Who is looking at a page: the `flowra_session` cookie → the session's access token →
verified claims → provisioned user. State-changing requests must also come from a trusted
origin and carry the session's CSRF token (header `X-CSRF-Token` or form field `csrf_token`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.domain.user.state import User
from flowra_entrypoints.http.auth import UNSAFE_METHODS, identity_of, require_trusted_origin
from flowra_entrypoints.http.request_context import set_user_id
from flowra_entrypoints.http.sessions import SESSION_COOKIE, set_session_id
from flowra_entrypoints.transport_errors import TransportCode, TransportError
from flowra_entrypoints.web.state import WebState, web_state

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_SIGNED_OUT = frozenset({ErrorCode.UNAUTHENTICATED, ErrorCode.TOKEN_EXPIRED})


class SignInRequired(Exception):
    """No usable session: a page redirects to sign-in, an HTMX request gets 401."""


@dataclass(frozen=True, slots=True)
class Viewer:
    actor: Actor
    user: User
    session_id: str
    csrf_token: str

    @property
    def user_id(self) -> str:
        return self.actor.user_id


async def _submitted_csrf(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def _check_write(request: Request[Any, Any, Any], web: WebState, session_id: str) -> None:
    require_trusted_origin(request, identity_of(request.app.state).cookies)
    if not web.csrf.is_valid(session_id, await _submitted_csrf(request)):
        raise TransportError(
            TransportCode.CSRF_REJECTED, "The form is stale; reload the page and retry"
        )


async def provide_viewer(request: Request[Any, Any, Any]) -> Viewer:
    web = web_state(request.app.state)
    identity = identity_of(request.app.state)
    core: FlowraCore = request.app.state.core
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise SignInRequired
    try:
        access = await web.sessions.access(cookie)
        try:
            claims = await identity.verify(access.access_token)
        except DomainError as error:
            if error.code is not ErrorCode.TOKEN_EXPIRED:
                raise
            access = await web.sessions.access(cookie, force_refresh=True)
            claims = await identity.verify(access.access_token)
    except DomainError as error:
        if error.code in _SIGNED_OUT:
            raise SignInRequired from None
        raise
    set_session_id(request.scope, access.session_id)
    user = await core.users.provision(claims)
    set_user_id(request.scope, user.id)
    if request.method in UNSAFE_METHODS:
        await _check_write(request, web, access.session_id)
    actor = Actor(user.id, is_system_admin=user.is_system_admin)
    return Viewer(actor, user, access.session_id, web.csrf.token_for(access.session_id))


async def provide_optional_viewer(request: Request[Any, Any, Any]) -> Viewer | None:
    """The viewer when signed in, else None (the landing and sign-in pages)."""
    try:
        return await provide_viewer(request)
    except SignInRequired:
        return None


CurrentViewer = NamedDependency[Viewer]
MaybeViewer = NamedDependency[Viewer | None]
