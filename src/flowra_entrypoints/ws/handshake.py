"""Who is opening the WebSocket (websocket.md §1): a Bearer token or a single-use ticket, and an
Origin the server trusts. Every refusal is a DomainError, answered before the upgrade."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flowra_core.app.actor import Actor
from flowra_core.app.users.service import UserService
from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.ports.identity import TokenVerifier
from flowra_core.ports.users import UserStore
from flowra_entrypoints.ws.tickets import TicketBook, TicketHolder


@dataclass(frozen=True, slots=True)
class HandshakeRequest:
    path: str
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    request_id: str


@dataclass(frozen=True, slots=True)
class Admission:
    actor: Actor
    session_id: str | None
    """The browser session behind the ticket, if any: its end closes the connection (4401)."""


def origin_of(url: str) -> str:
    """`https://Chat.Example.com:8443/app/` → `https://chat.example.com:8443`."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class HandshakeGate:
    def __init__(
        self,
        *,
        identity: TokenVerifier,
        users: UserService,
        user_store: UserStore,
        tickets: TicketBook,
        trusted_origins: Collection[str],
    ) -> None:
        self._identity = identity
        self._users = users
        self._user_store = user_store
        self._tickets = tickets
        self._origins = frozenset(origin_of(origin) for origin in trusted_origins)

    async def admit(self, request: HandshakeRequest) -> Admission:
        """The caller, or DomainError: UNAUTHENTICATED / TOKEN_EXPIRED (401), FORBIDDEN for an
        untrusted Origin and USER_INACTIVE (403)."""
        ticket = request.query.get("ticket")
        # A ticket is consumed by the handshake, whether it is used or not.
        ticket_holder = await self._tickets.redeem(ticket) if ticket else None
        authorization = request.headers.get("authorization")
        session_id = None
        if authorization is not None:
            actor = await self._bearer(authorization)
        elif ticket:
            actor = await self._ticket_user(ticket_holder)
            session_id = ticket_holder.session_id if ticket_holder is not None else None
        else:
            raise DomainError(
                ErrorCode.UNAUTHENTICATED,
                "Send an Authorization: Bearer header or a ?ticket= from POST /api/v1/ws/ticket",
            )
        origin = request.headers.get("origin")
        if origin is not None and origin_of(origin) not in self._origins:
            raise DomainError(ErrorCode.FORBIDDEN, f"Origin {origin} is not allowed")
        return Admission(actor, session_id)

    async def _bearer(self, authorization: str) -> Actor:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise DomainError(ErrorCode.UNAUTHENTICATED, "The Authorization header must be Bearer")
        claims = await self._identity.verify(token.strip())
        user = await self._users.provision(claims)
        return Actor(user.id, is_system_admin=user.is_system_admin)

    async def _ticket_user(self, holder: TicketHolder | None) -> Actor:
        user = await self._user_store.get(holder.user_id) if holder is not None else None
        if user is None:
            raise DomainError(
                ErrorCode.UNAUTHENTICATED, "The ticket is unknown, expired or already used"
            )
        if not user.is_active:
            raise DomainError(ErrorCode.USER_INACTIVE, "This account is deactivated")
        return Actor(user.id, is_system_admin=user.is_system_admin)
