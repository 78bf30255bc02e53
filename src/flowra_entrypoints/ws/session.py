"""What a connection's client frames do (websocket.md §2): subscribe (with resume), unsubscribe,
typing and ping. Frames of one connection are handled one at a time, in arrival order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import msgspec
from loguru import logger

from flowra_core.domain.datetimes import format_timestamp
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock
from flowra_core.ports.live import LiveChannel, TypingPush
from flowra_entrypoints.ws.access import ChatContext, ChatLookup
from flowra_entrypoints.ws.connection import Connection
from flowra_entrypoints.ws.frames import (
    CLIENT_FRAMES,
    Ack,
    AckAction,
    ClientFrame,
    ErrorFrame,
    FrameError,
    Ping,
    Pong,
    ResyncReason,
    ResyncRequired,
    Subscribe,
    Typing,
    Unsubscribe,
    encode,
    event_frame,
    ref_of_invalid,
)
from flowra_entrypoints.ws.hub import Hub
from flowra_entrypoints.ws.limits import FrameRate, Monotonic, TypingThrottle
from flowra_entrypoints.ws.meter import WebSocketMeter
from flowra_entrypoints.ws.resume import ChatJournal, missed_events

MAX_SUBSCRIPTIONS: Final = 500
CLIENT_FRAMES_PER_SECOND: Final = 20
_NOT_READABLE = "No such chat, or you may not read it"


@dataclass(frozen=True, slots=True)
class SessionServices:
    """What every connection's session shares."""

    hub: Hub
    lookup: ChatLookup
    journal: ChatJournal
    live: LiveChannel
    typing: TypingThrottle
    clock: Clock
    meter: WebSocketMeter
    resume_window: timedelta
    # How long a replay waits for room in a connection's send queue before calling it slow.
    patience: float


class ClientSession:
    def __init__(
        self, connection: Connection, services: SessionServices, monotonic: Monotonic
    ) -> None:
        self._connection = connection
        self._services = services
        self._rate = FrameRate(CLIENT_FRAMES_PER_SECOND, monotonic)

    async def receive_text(self, text: str) -> None:
        if not self._admitted(text):
            return
        try:
            frame = CLIENT_FRAMES.decode(text)
        except msgspec.DecodeError as error:
            self._services.meter.frame_received("invalid")
            self._error(ref_of_invalid(text), FrameError.INVALID_FRAME, str(error))
            return
        tag = frame.__struct_config__.tag
        self._services.meter.frame_received(tag if isinstance(tag, str) else "unknown")
        if isinstance(frame, Subscribe):
            await self._subscribe(frame)
        elif isinstance(frame, Unsubscribe):
            self._unsubscribe(frame)
        elif isinstance(frame, Typing):
            await self._typing(frame)
        else:
            self._pong(frame)

    def receive_binary(self) -> None:
        if not self._admitted(None):
            return
        self._services.meter.frame_received("invalid")
        message = "Binary frames are not accepted; send JSON text"
        self._error(None, FrameError.INVALID_FRAME, message)

    def _admitted(self, text: str | None) -> bool:
        if self._rate.admit():
            return True
        self._services.meter.frame_received("dropped")
        if self._rate.should_warn():
            ref = ref_of_invalid(text) if text is not None else None
            self._error(ref, FrameError.RATE_LIMITED, "More than 20 frames a second; slow down")
        return False

    # --- frames -----------------------------------------------------------------------------

    async def _subscribe(self, frame: Subscribe) -> None:
        connection, services = self._connection, self._services
        context = await self._readable(frame.chat_id, frame)
        if context is None:
            return
        if (
            frame.chat_id not in connection.subscriptions
            and len(connection.subscriptions) >= MAX_SUBSCRIPTIONS
        ):
            message = f"A connection may follow at most {MAX_SUBSCRIPTIONS} chats"
            self._error(frame.id, FrameError.TOO_MANY_SUBSCRIPTIONS, message, frame.chat_id)
            return
        services.hub.join(connection, frame.chat_id, context.chat.workspace_id)
        if frame.last_event_id is None:
            self._ack(frame, AckAction.SUBSCRIBED)
            return
        connection.begin_replay(frame.chat_id)
        try:
            await self._replay(frame, frame.last_event_id)
        finally:
            await connection.end_replay(frame.chat_id, patience=services.patience)

    async def _replay(self, frame: Subscribe, last_event_id: str) -> None:
        connection, services = self._connection, self._services
        missed = await missed_events(
            services.journal,
            frame.chat_id,
            last_event_id,
            now=services.clock.now(),
            window=services.resume_window,
        )
        if frame.chat_id not in connection.subscriptions:
            # Access ended while the journal was read; `unsubscribed` has gone out.
            self._error(frame.id, FrameError.CHAT_NOT_FOUND, _NOT_READABLE, frame.chat_id)
            return
        if isinstance(missed, ResyncReason):
            self._ack(frame, AckAction.SUBSCRIBED)
            connection.push(encode(ResyncRequired(chat_id=frame.chat_id, reason=missed)))
            return
        fresh = [envelope for envelope in missed if not connection.has_seen(envelope.event_id)]
        self._ack(frame, AckAction.SUBSCRIBED, replayed=len(fresh))
        for envelope in fresh:
            await connection.push_in_turn(
                event_frame(envelope), event_id=envelope.event_id, patience=services.patience
            )

    def _unsubscribe(self, frame: Unsubscribe) -> None:
        self._services.hub.leave(self._connection, frame.chat_id)
        self._ack(frame, AckAction.UNSUBSCRIBED)

    async def _typing(self, frame: Typing) -> None:
        actor = self._connection.actor
        context = await self._readable(frame.chat_id, frame)
        if context is None:
            return
        if not context.writable_by(actor):
            message = "Only participants of this chat can type in it"
            self._error(frame.id, FrameError.NOT_PARTICIPANT, message, frame.chat_id)
            return
        if not self._services.typing.allow(actor.user_id, frame.chat_id):
            return
        try:
            await self._services.live.publish(
                TypingPush(chat_id=frame.chat_id, user_id=actor.user_id)
            )
        except ServiceUnavailable as error:
            logger.bind(logger="ws", connection_id=self._connection.id).warning(
                "typing not relayed", error=error.reason
            )

    def _pong(self, frame: Ping) -> None:
        now = format_timestamp(self._services.clock.now())
        self._connection.push(encode(Pong(ref=frame.id, server_time=now)))

    # --- helpers ----------------------------------------------------------------------------

    async def _readable(self, chat_id: str, frame: ClientFrame) -> ChatContext | None:
        context = await self._services.lookup.get(chat_id)
        if context is None or not context.readable_by(self._connection.actor):
            self._error(frame.id, FrameError.CHAT_NOT_FOUND, _NOT_READABLE, chat_id)
            return None
        return context

    def _ack(self, frame: Subscribe | Unsubscribe, action: AckAction, *, replayed: int = 0) -> None:
        ack = Ack(ref=frame.id, action=action, chat_id=frame.chat_id, replayed=replayed)
        self._connection.push(encode(ack))

    def _error(
        self, ref: str | None, code: FrameError, message: str, chat_id: str | None = None
    ) -> None:
        self._connection.push(
            encode(ErrorFrame(ref=ref, code=code, message=message, chat_id=chat_id))
        )
