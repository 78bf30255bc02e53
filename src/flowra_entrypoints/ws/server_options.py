"""What uvicorn must be told for websocket.md §7 (pass `websocket_server_options(...)` to
`uvicorn.Config`).

ASGI gives an application no access to protocol-level pings, so the heartbeat lives in the
server's WebSocket protocol: a ping every `websocket.ping_interval`, and a close with 4001 once
nothing at all (pong or any other frame) has arrived for `websocket.pong_timeout`. uvicorn's own
keepalive would close with 1011 and ignore other frames, hence the subclass. Frames over
`websocket.max_frame_size` are refused by the protocol with 1009 before they are buffered whole.
Per-message compression is off: it would compress each fan-out frame once per connection.
The subclass also marks a refused handshake complete once its HTTP response is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from flowra_entrypoints.settings.model import WebSocketSettings
from flowra_entrypoints.ws.frames import CloseCode

if TYPE_CHECKING:
    from uvicorn._types import ASGISendEvent


class HeartbeatWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websockets protocol with the liveness rule of websocket.md §7. The
    silence allowed is `ws_ping_interval + ws_ping_timeout` (= `websocket.pong_timeout`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_heard = self.loop.time()

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            # The refusal is complete; without this uvicorn logs "ASGI callable returned without
            # completing handshake" when the app returns before the transport is closed.
            self.handshake_complete = True

    def data_received(self, data: bytes) -> None:
        self._last_heard = self.loop.time()
        super().data_received(data)

    def keepalive_timeout(self) -> None:
        assert self.ping_interval is not None and self.ping_timeout is not None
        allowed = self.ping_interval + self.ping_timeout
        silent = self.loop.time() - self._last_heard
        if silent < allowed:
            # The pong is late but the peer spoke meanwhile: check again when silence is due.
            self.pong_timer = self.loop.call_later(allowed - silent, self.keepalive_timeout)
            return
        self.pong_timer = None
        self.pending_ping_payload = None
        if self.close_sent or self.transport.is_closing():
            return
        self.conn.fail(CloseCode.HEARTBEAT_TIMEOUT, "heartbeat timeout")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.close()


def websocket_server_options(settings: WebSocketSettings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.Config`."""
    return {
        "ws": HeartbeatWebSocketProtocol,
        "ws_ping_interval": settings.ping_interval,
        "ws_ping_timeout": max(settings.pong_timeout - settings.ping_interval, 0.001),
        "ws_max_size": settings.max_frame_size,
        "ws_per_message_deflate": False,
    }
