"""`POST /api/v1/ws/ticket` (http-api.md): a single-use ticket for opening the WebSocket from a
browser, which cannot set an Authorization header on the upgrade request."""

from __future__ import annotations

from litestar import Controller, post
from litestar.datastructures import State
from litestar.status_codes import HTTP_201_CREATED

from flowra_entrypoints.http.auth import CurrentActor
from flowra_entrypoints.http.dto.common import Struct
from flowra_entrypoints.ws.tickets import TicketBook


class WebSocketTicketResponse(Struct):
    ticket: str
    expires_in: int


class WebSocketTicketController(Controller):
    path = "/api/v1/ws/ticket"
    tags = ["websocket"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/", status_code=HTTP_201_CREATED, summary="A single-use ticket for GET /api/v1/ws")
    async def issue(self, actor: CurrentActor, state: State) -> WebSocketTicketResponse:
        tickets: TicketBook = state.ws_tickets
        issued = await tickets.issue(actor.user_id)
        return WebSocketTicketResponse(ticket=issued.ticket, expires_in=issued.expires_in)
