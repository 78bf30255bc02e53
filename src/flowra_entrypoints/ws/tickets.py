"""WebSocket tickets (http-api.md `POST /api/v1/ws/ticket`): short-lived, single-use, bound to the
user, kept in the EphemeralStore under `flowra:wsticket:<ticket>` (operations.md §6). A ticket
issued to a browser session records it: the connection closes when that session ends (4401)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import msgspec

from flowra_core.ports.clock import SecretTokens
from flowra_core.ports.ephemeral import EphemeralStore

TICKET_KEY_PREFIX: Final = "flowra:wsticket:"


class TicketHolder(msgspec.Struct, frozen=True):
    user_id: str
    session_id: str | None = None
    """The browser session the ticket was issued to (None for a Bearer caller)."""


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    ticket: str
    expires_in: int


class TicketBook:
    def __init__(self, store: EphemeralStore, tokens: SecretTokens, *, ttl_seconds: float) -> None:
        self._store = store
        self._tokens = tokens
        self._ttl = ttl_seconds

    async def issue(self, user_id: str, *, session_id: str | None = None) -> IssuedTicket:
        ticket = self._tokens.new_token()
        holder = msgspec.json.encode(TicketHolder(user_id, session_id))
        await self._store.put(TICKET_KEY_PREFIX + ticket, holder, self._ttl)
        return IssuedTicket(ticket=ticket, expires_in=max(1, round(self._ttl)))

    async def redeem(self, ticket: str) -> TicketHolder | None:
        """Whom the ticket was issued to, consuming it; None for an unknown, expired or already
        used ticket."""
        raw = await self._store.take(TICKET_KEY_PREFIX + ticket)
        if raw is None:
            return None
        try:
            return msgspec.json.decode(raw, type=TicketHolder)
        except msgspec.DecodeError:
            return None
