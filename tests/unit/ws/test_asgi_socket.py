"""The gateway's socket on ASGI: the denial-response extension (or its fallback), frames in and
out, and the uvicorn options that carry the protocol-level rules."""

from __future__ import annotations

from typing import Any, cast

import pytest
from litestar.types import Receive, Scope, Send

from flowra_entrypoints.settings.model import WebSocketSettings
from flowra_entrypoints.ws.asgi import AsgiSocket
from flowra_entrypoints.ws.connection import PeerGoneError
from flowra_entrypoints.ws.server_options import (
    HeartbeatWebSocketProtocol,
    websocket_server_options,
)

Message = dict[str, Any]


class FakeAsgi:
    """The server side of an ASGI websocket scope: scripted receives, recorded sends."""

    def __init__(self, *incoming: Message, extensions: dict[str, Any] | None = None) -> None:
        self.incoming = [{"type": "websocket.connect"}, *incoming]
        self.sent: list[Message] = []
        self.gone = False
        self.scope: dict[str, Any] = {
            "type": "websocket",
            "path": "/api/v1/ws",
            "query_string": b"ticket=t-1&ticket=t-2&token=x",
            "headers": [(b"Origin", b"https://app.example"), (b"authorization", b"Bearer a")],
            "extensions": extensions if extensions is not None else {},
            "state": {},
        }

    async def receive(self) -> Message:
        return self.incoming.pop(0) if self.incoming else {"type": "websocket.disconnect"}

    async def send(self, message: Message) -> None:
        if self.gone:
            raise OSError("client disconnected")
        self.sent.append(message)

    def socket(self) -> AsgiSocket:
        return AsgiSocket(
            cast(Scope, self.scope), cast(Receive, self.receive), cast(Send, self.send)
        )


class TestHandshakeRequest:
    def test_reads_headers_in_lower_case_and_the_first_query_value(self) -> None:
        request = FakeAsgi().socket().request
        assert request.headers["origin"] == "https://app.example"
        assert request.headers["authorization"] == "Bearer a"
        assert request.query["ticket"] == "t-1"
        assert request.path == "/api/v1/ws"


class TestRefusal:
    async def test_is_an_http_response_with_the_denial_extension(self) -> None:
        asgi = FakeAsgi(extensions={"websocket.http.response": {}})
        problem = b'{"code": "UNAUTHENTICATED"}'
        await asgi.socket().refuse(401, problem, [("x-request-id", "r1")])
        start, body = asgi.sent
        assert start == {
            "type": "websocket.http.response.start",
            "status": 401,
            "headers": [(b"x-request-id", b"r1")],
        }
        assert body == {
            "type": "websocket.http.response.body",
            "body": b'{"code": "UNAUTHENTICATED"}',
        }

    async def test_falls_back_to_a_close_before_the_upgrade(self) -> None:
        asgi = FakeAsgi()
        await asgi.socket().refuse(401, b"{}", [])
        assert asgi.sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


class TestFrames:
    async def test_text_binary_and_disconnect(self) -> None:
        asgi = FakeAsgi(
            {"type": "websocket.receive", "text": "hello"},
            {"type": "websocket.receive", "bytes": b"\x01"},
        )
        socket = asgi.socket()
        await socket.accept()
        assert [await socket.receive() for _ in range(3)] == ["hello", b"\x01", None]
        await socket.send("frame")
        await socket.close(4008, "slow consumer")
        assert asgi.sent[1:] == [
            {"type": "websocket.send", "text": "frame"},
            {"type": "websocket.close", "code": 4008, "reason": "slow consumer"},
        ]

    async def test_a_gone_peer_is_peer_gone(self) -> None:
        asgi = FakeAsgi()
        socket = asgi.socket()
        await socket.accept()
        asgi.gone = True
        with pytest.raises(PeerGoneError):
            await socket.send("late")


def test_the_server_options_carry_the_websocket_settings() -> None:
    options = websocket_server_options(
        WebSocketSettings(ping_interval=30.0, pong_timeout=60.0, max_frame_size=65536)
    )
    assert options == {
        "ws": HeartbeatWebSocketProtocol,
        "ws_ping_interval": 30.0,
        "ws_ping_timeout": 30.0,  # a ping, then the rest of pong_timeout for an answer
        "ws_max_size": 65536,
        "ws_per_message_deflate": False,
    }
