"""The gateway on ASGI: the Litestar route of `GET /api/v1/ws` and the socket adapter.

A refused handshake is answered with an HTTP problem response through the ASGI "WebSocket Denial
Response" extension (`websocket.http.response`), which uvicorn implements for all its WebSocket
protocols. A server without it gets `websocket.close` before the upgrade instead, which ASGI
servers answer with a bare 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import parse_qsl

from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.types import Receive, Scope, Send

from flowra_entrypoints.http.request_context import request_id_of
from flowra_entrypoints.ws.connection import PeerGoneError
from flowra_entrypoints.ws.handshake import HandshakeRequest

WEBSOCKET_PATH: Final = "/api/v1/ws"
DENIAL_RESPONSE_EXTENSION: Final = "websocket.http.response"
# Close code sent before the upgrade when the server cannot answer with an HTTP response.
_POLICY_VIOLATION: Final = 1008


def _request_of(scope: Scope) -> HandshakeRequest:
    headers = {
        bytes(name).decode("latin-1").lower(): bytes(value).decode("latin-1")
        for name, value in scope.get("headers", ())
    }
    query_string = bytes(scope.get("query_string", b"")).decode("latin-1")
    query: dict[str, str] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        query.setdefault(name, value)
    return HandshakeRequest(
        path=scope["path"], headers=headers, query=query, request_id=request_id_of(scope)
    )


class AsgiSocket:
    """A GatewaySocket over an ASGI websocket scope."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._connect_seen = False
        self.request = _request_of(scope)

    async def _handshake_started(self) -> None:
        if self._connect_seen:
            return
        message = await self._receive()
        if message["type"] != "websocket.connect":
            raise PeerGoneError
        self._connect_seen = True

    async def refuse(self, status: int, body: bytes, headers: Sequence[tuple[str, str]]) -> None:
        await self._handshake_started()
        if DENIAL_RESPONSE_EXTENSION not in (self._scope.get("extensions") or {}):
            await self._emit({"type": "websocket.close", "code": _POLICY_VIOLATION, "reason": ""})
            return
        raw_headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        start = {"type": "websocket.http.response.start", "status": status, "headers": raw_headers}
        await self._emit(start)
        await self._emit({"type": "websocket.http.response.body", "body": body})

    async def accept(self) -> None:
        await self._handshake_started()
        await self._emit({"type": "websocket.accept", "subprotocol": None, "headers": []})

    async def receive(self) -> str | bytes | None:
        while True:
            try:
                message = await self._receive()
            except WebSocketDisconnect:
                return None
            kind = message["type"]
            if kind == "websocket.receive":
                text = message.get("text")
                if isinstance(text, str):
                    return text
                data = message.get("bytes")
                return data if isinstance(data, bytes) else b""
            if kind == "websocket.disconnect":
                return None

    async def send(self, text: str) -> None:
        await self._emit({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str) -> None:
        await self._emit({"type": "websocket.close", "code": code, "reason": reason})

    async def _emit(self, message: dict[str, Any]) -> None:
        try:
            await self._send(message)  # type: ignore[arg-type]
        except (OSError, WebSocketDisconnect) as error:  # uvicorn's ClientDisconnected is OSError
            raise PeerGoneError from error


@websocket(WEBSOCKET_PATH, name="websocket")
async def websocket_endpoint(socket: WebSocket[Any, Any, Any]) -> None:
    """The real-time gateway (websocket.md)."""
    gateway = socket.app.state.ws_gateway
    await gateway.serve(AsgiSocket(socket.scope, socket.receive, socket.send))
