"""`POST /ws-ticket`: the page's ticket for `/api/v1/ws` (websocket.md §1), issued for the
web session (a logout of it closes the socket)."""

from __future__ import annotations

from litestar import post
from litestar.response import Response

from flowra_entrypoints.web.pages.common import AnyRequest
from flowra_entrypoints.web.viewer import CurrentViewer
from flowra_entrypoints.ws.tickets import TicketBook


@post("/ws-ticket", include_in_schema=False, status_code=201)
async def ws_ticket(request: AnyRequest, viewer: CurrentViewer) -> Response[dict[str, object]]:
    tickets: TicketBook = request.app.state.ws_tickets
    issued = await tickets.issue(viewer.user_id, session_id=viewer.session_id)
    return Response(
        {"ticket": issued.ticket, "expires_in": issued.expires_in},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


LIVE_ROUTES = [ws_ticket]
