"""`POST /api/v1/ws/ticket` (http-api.md): a single-use ticket for opening the WebSocket from a
browser, which cannot set an Authorization header on the upgrade request."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.status_codes import HTTP_201_CREATED

from flowra_core.domain.tokens import TokenScope
from flowra_entrypoints.http.auth import CurrentActor
from flowra_entrypoints.http.dto.common import Struct
from flowra_entrypoints.http.sessions import session_id_of
from flowra_entrypoints.ws.tickets import TicketBook


class WebSocketTicketResponse(Struct):
    ticket: str
    expires_in: int


class WebSocketTicketController(Controller):
    path = "/api/v1/ws/ticket"
    tags = ["websocket"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="A single-use ticket for GET /api/v1/ws",
        opt={"token_scope": TokenScope.READ},  # an API token with `read` may open a socket
    )
    async def issue(
        self, actor: CurrentActor, state: State, request: Request[Any, Any, Any]
    ) -> WebSocketTicketResponse:
        tickets: TicketBook = state.ws_tickets
        # A browser session's ticket remembers it: its logout closes the socket (4401).
        issued = await tickets.issue(actor.user_id, session_id=session_id_of(request.scope))
        return WebSocketTicketResponse(ticket=issued.ticket, expires_in=issued.expires_in)
