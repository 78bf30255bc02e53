"""One WebSocket as the gateway sees it, whatever server runs underneath (`asgi.py` adapts
uvicorn's; the unit tests use an in-memory one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from flowra_entrypoints.ws.connection import FrameSink
from flowra_entrypoints.ws.handshake import HandshakeRequest


class GatewaySocket(FrameSink, Protocol):
    @property
    def request(self) -> HandshakeRequest: ...

    async def refuse(self, status: int, body: bytes, headers: Sequence[tuple[str, str]]) -> None:
        """Answer the handshake with this HTTP response instead of upgrading."""
        ...

    async def accept(self) -> None: ...

    async def receive(self) -> str | bytes | None:
        """The next text or binary frame; None once the peer has gone."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """Send a close frame; PeerGoneError when the peer has already gone."""
        ...
