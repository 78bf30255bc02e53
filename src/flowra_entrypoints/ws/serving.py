"""One connection's life: handshake (or an HTTP refusal before the upgrade), the `connected`
frame, reading client frames, and closing with the code the reason calls for."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec
from loguru import logger

from flowra_core.domain.datetimes import format_timestamp
from flowra_core.domain.errors import DomainError, ErrorCode, ServiceUnavailable
from flowra_core.ports.clock import IdGenerator
from flowra_entrypoints.transport_errors import TransportCode, TransportError
from flowra_entrypoints.ws.connection import Connection, PeerGoneError
from flowra_entrypoints.ws.frames import CloseCode, Connected, OutboundFrame, encode, seconds
from flowra_entrypoints.ws.handshake import Admission, HandshakeGate, HandshakeRequest
from flowra_entrypoints.ws.limits import GatewayLimits, Monotonic
from flowra_entrypoints.ws.presence import PresenceTracker
from flowra_entrypoints.ws.session import ClientSession, SessionServices
from flowra_entrypoints.ws.socket import GatewaySocket


@dataclass(slots=True)
class _Open:
    socket: GatewaySocket
    task: asyncio.Task[Any]
    writer: asyncio.Task[None] | None = None  # started once the upgrade is accepted

    def stop_writing(self) -> None:
        if self.writer is not None:
            self.writer.cancel()


def too_big(text: str, limit: int) -> bool:
    """Whether the UTF-8 form of `text` exceeds `limit` bytes (encoding only when in doubt)."""
    return len(text) > limit or (len(text) * 4 > limit and len(text.encode()) > limit)


class ConnectionServer:
    def __init__(
        self,
        *,
        gate: HandshakeGate,
        services: SessionServices,
        presence: PresenceTracker,
        ids: IdGenerator,
        limits: GatewayLimits,
        monotonic: Monotonic,
    ) -> None:
        self._gate = gate
        self._services = services
        self._hub = services.hub
        self._presence = presence
        self._ids = ids
        self._limits = limits
        self._monotonic = monotonic
        self._open: dict[Connection, _Open] = {}
        self._closers: set[asyncio.Task[None]] = set()
        self._closing = False

    def reopen(self) -> None:
        self._closing = False

    async def close_all(self, code: int, reason: str) -> None:
        """Refuse new handshakes, close every connection, and wait (bounded) until they end."""
        self._closing = True
        tasks = [record.task for record in self._open.values()]
        for connection in list(self._open):
            connection.close(code, reason)
        if tasks:
            await asyncio.wait(tasks, timeout=self._limits.close_timeout + 1)

    async def serve(self, socket: GatewaySocket) -> None:
        request = socket.request
        try:
            admission = await self._admit(request)
        except ServiceUnavailable:
            await self._refuse(socket, request, _unavailable("A dependency is unavailable"))
            return
        except (DomainError, TransportError) as error:
            await self._refuse(socket, request, error)
            return
        task = asyncio.current_task()
        assert task is not None
        actor = admission.actor
        connection = Connection(
            self._ids.new_id(),
            actor,
            socket,
            queue_size=self._limits.send_queue_size,
            meter=self._services.meter,
            on_close=self._close_requested,
            session_id=admission.session_id,
        )
        # First in the queue, before any event routed while the upgrade completes; registered
        # before the first await, so the per-user limit cannot be overrun.
        connection.push(self._connected_frame(connection))
        first = self._hub.add(connection)
        record = self._open[connection] = _Open(socket, task)
        self._services.meter.opened()
        log = logger.bind(logger="ws", connection_id=connection.id, user_id=actor.user_id)
        try:
            await socket.accept()
            record.writer = asyncio.get_running_loop().create_task(connection.write_frames())
            log.info("websocket connected")
            if first:
                await self._presence.arrived(actor.user_id)
            await self._read(connection, socket)
        except asyncio.CancelledError:
            if connection.close_code is None:
                raise
            task.uncancel()  # a close the peer never took: stop waiting for it
        except (PeerGoneError, ServiceUnavailable) as error:
            log.info("websocket ended early", error=repr(error))
        finally:
            record.stop_writing()
            del self._open[connection]
            last = self._hub.remove(connection)
            self._services.meter.closed()
            log.info("websocket closed", code=connection.close_code)
            if last:
                await self._presence.departed(actor.user_id)

    async def _admit(self, request: HandshakeRequest) -> Admission:
        if self._closing:
            raise _unavailable("The server is shutting down; reconnect shortly")
        admission = await self._gate.admit(request)
        limit = self._limits.max_connections_per_user
        if self._hub.count_of(admission.actor.user_id) >= limit:
            raise TransportError(
                TransportCode.RATE_LIMITED, f"At most {limit} open connections per user"
            )
        return admission

    def _connected_frame(self, connection: Connection) -> OutboundFrame:
        return encode(
            Connected(
                connection_id=connection.id,
                user_id=connection.user_id,
                heartbeat_interval=seconds(self._limits.ping_interval),
                server_time=format_timestamp(self._services.clock.now()),
            )
        )

    async def _read(self, connection: Connection, socket: GatewaySocket) -> None:
        session = ClientSession(connection, self._services, self._monotonic)
        limit = self._limits.max_frame_size
        while (message := await socket.receive()) is not None:
            if connection.is_closing:
                continue  # waiting for the peer to acknowledge the close
            if isinstance(message, bytes):
                if len(message) > limit:
                    connection.close(CloseCode.MESSAGE_TOO_BIG, "frame too large")
                else:
                    session.receive_binary()
            elif too_big(message, limit):
                connection.close(CloseCode.MESSAGE_TOO_BIG, "frame too large")
            else:
                await self._handle(connection, session, message)

    async def _handle(self, connection: Connection, session: ClientSession, text: str) -> None:
        log = logger.bind(logger="ws", connection_id=connection.id, user_id=connection.user_id)
        try:
            await session.receive_text(text)
        except ServiceUnavailable as error:
            log.warning("frame not handled", dependency=error.dependency, error=error.reason)
            connection.close(CloseCode.INTERNAL_ERROR, "service unavailable")
        except Exception as error:  # noqa: BLE001 - a bug in one frame closes only this socket
            log.opt(exception=error).error("frame handling failed")
            connection.close(CloseCode.INTERNAL_ERROR, "unexpected server error")

    def _close_requested(self, connection: Connection, code: int, reason: str) -> None:
        record = self._open.get(connection)
        if record is None:
            return
        closing = self._close(connection, record, code, reason)
        closer = asyncio.get_running_loop().create_task(closing)
        self._closers.add(closer)
        closer.add_done_callback(self._closers.discard)

    async def _close(self, connection: Connection, record: _Open, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(self._limits.close_timeout):
                if code != CloseCode.SLOW_CONSUMER and record.writer is not None:
                    await connection.flushed()
                record.stop_writing()
                await record.socket.close(code, reason)
        except TimeoutError:
            record.stop_writing()
            record.task.cancel()
        except PeerGoneError:
            return

    async def _refuse(
        self, socket: GatewaySocket, request: HandshakeRequest, error: DomainError | TransportError
    ) -> None:
        # Imported here: http.problems brings Litestar, which processes that build the
        # container without serving HTTP (the worker) must not load.
        from flowra_entrypoints.http.problems import (
            PROBLEM_MEDIA_TYPE,
            STATUS_OF,
            Problem,
            title_for,
        )

        status = STATUS_OF[error.code]
        problem = Problem(
            type=f"urn:flowra:problem:{error.code.value}",
            title=title_for(error.code),
            status=status,
            detail=error.message,
            code=error.code.value,
            instance=request.path,
            request_id=request.request_id,
        )
        headers = [("content-type", PROBLEM_MEDIA_TYPE), ("x-request-id", request.request_id)]
        if status == 401:
            headers.append(("www-authenticate", "Bearer"))
        elif status == 503:
            headers.append(("retry-after", "5"))
        logger.bind(logger="ws", request_id=request.request_id).info(
            "websocket refused", status=status, code=error.code.value
        )
        try:
            await socket.refuse(status, msgspec.json.encode(problem), headers)
        except PeerGoneError:
            return


def _unavailable(message: str) -> DomainError:
    return DomainError(ErrorCode.SERVICE_UNAVAILABLE, message)
