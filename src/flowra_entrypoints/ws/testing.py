"""Test doubles for driving the gateway without a network (shipped like `flowra_core.testing`):
sockets that live in memory, a token verifier with fixed tokens, and a scheduler and monotonic
clock that only move when the test says so. `testing_kit.py` assembles them around a gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowra_core.domain.errors import DomainError, ErrorCode
from flowra_core.ports.identity import IdentityClaims
from flowra_entrypoints.ws.connection import PeerGoneError
from flowra_entrypoints.ws.handshake import HandshakeRequest

WAIT_SECONDS = 2.0
PUBLIC_URL = "http://localhost:8080"
APP_ORIGIN = "https://app.example"
Frame = dict[str, Any]


class MemorySocket:
    """A GatewaySocket in memory. The test plays the client: what it sends waits in an inbound
    queue; what the server sends is decoded into `frames`."""

    def __init__(
        self, *, headers: Mapping[str, str] | None = None, query: Mapping[str, str] | None = None
    ) -> None:
        self.request = HandshakeRequest(
            path="/api/v1/ws", headers=dict(headers or {}), query=dict(query or {}), request_id="r1"
        )
        self.frames: list[Frame] = []
        self.refusal: tuple[int, Frame, dict[str, str]] | None = None
        self.accepted = False
        self.close_code: int | None = None
        self.reading = asyncio.Event()  # cleared: the client reads nothing, sends block
        self.reading.set()
        self._inbound: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._changed = asyncio.Condition()
        self._pings = 0
        self._waiting = False

    # --- GatewaySocket ----------------------------------------------------------------------

    async def refuse(self, status: int, body: bytes, headers: Sequence[tuple[str, str]]) -> None:
        self.refusal = (status, json.loads(body), dict(headers))
        await self._notify()

    async def accept(self) -> None:
        self.accepted = True

    async def receive(self) -> str | bytes | None:
        if self._inbound.empty():
            self._waiting = True
            await self._notify()
        try:
            return await self._inbound.get()
        finally:
            self._waiting = False

    async def send(self, text: str) -> None:
        await self.reading.wait()
        if self.close_code is not None:
            raise PeerGoneError
        self.frames.append(json.loads(text))
        await self._notify()

    async def close(self, code: int, reason: str) -> None:
        self.close_code = code
        self._inbound.put_nowait(None)  # the client acknowledges: the server sees it gone
        await self._notify()

    # --- the client's side ------------------------------------------------------------------

    def send_json(self, frame: Frame) -> None:
        self._inbound.put_nowait(json.dumps(frame))

    def send_raw(self, data: str | bytes) -> None:
        self._inbound.put_nowait(data)

    def disconnect(self) -> None:
        self._inbound.put_nowait(None)

    def of_type(self, kind: str) -> list[Frame]:
        return [frame for frame in self.frames if frame["type"] == kind]

    def types(self) -> list[str]:
        return [frame["type"] for frame in self.frames]

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_SECONDS), self._changed:
            await self._changed.wait_for(condition)

    async def frame(self, kind: str, **fields: Any) -> Frame:
        """The first frame of this type (and these field values), waiting for it."""

        def found() -> Frame | None:
            for frame in self.of_type(kind):
                if all(frame.get(name) == value for name, value in fields.items()):
                    return frame
            return None

        await self.until(lambda: found() is not None)
        frame = found()
        assert frame is not None
        return frame

    async def closed(self) -> None:
        """Wait until the server has closed the socket."""
        await self.until(lambda: self.close_code is not None)

    async def processed(self) -> None:
        """Wait until the server has handled every frame sent so far and waits for more."""
        await self.until(lambda: self._waiting and self._inbound.empty())

    async def roundtrip(self) -> None:
        """Ping and wait for the pong: every frame queued before it has been sent."""
        self._pings += 1
        ref = f"sync-{self._pings}"
        self.send_json({"type": "ping", "id": ref})
        await self.frame("pong", ref=ref)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


EXPIRED_TOKEN = "expired"  # noqa: S105 - a test token, not a secret


class KnownTokens:
    """A TokenVerifier for a fixed set of tokens; EXPIRED_TOKEN is refused as expired."""

    def __init__(self) -> None:
        self.claims: dict[str, IdentityClaims] = {}

    async def verify(self, token: str) -> IdentityClaims:
        if token == EXPIRED_TOKEN:
            raise DomainError(ErrorCode.TOKEN_EXPIRED, "The token has expired")
        claims = self.claims.get(token)
        if claims is None:
            raise DomainError(ErrorCode.UNAUTHENTICATED, "Unknown token")
        return claims


@dataclass
class ManualTimer:
    delay: float
    callback: Callable[[], Awaitable[None]]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class ManualScheduler:
    timers: list[ManualTimer] = field(default_factory=list)

    def __call__(self, delay: float, callback: Callable[[], Awaitable[None]]) -> ManualTimer:
        timer = ManualTimer(delay, callback)
        self.timers.append(timer)
        return timer

    async def fire(self) -> None:
        due, self.timers = [t for t in self.timers if not t.cancelled], []
        for timer in due:
            await timer.callback()


@dataclass
class ManualMonotonic:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
