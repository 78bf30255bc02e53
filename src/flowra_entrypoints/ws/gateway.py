"""The WebSocket gateway: takes every event from the bus and every live push from the channel,
routes them through one inbox task (in arrival order, off the publisher's path), and serves each
connection from handshake to close.

After a gap in the bus's live feed, or once an overflowing inbox has drained, every subscriber is
asked to resync. When a browser session ends, its connections close with 4401 on every instance;
after a gap in the live channel, which may have swallowed such an end, the sessions of this
instance's connections are checked again."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from loguru import logger

from flowra_core.app.messages.read_markers import ReadState
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.events import EventEnvelope
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.clock import Clock, IdGenerator
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.live import (
    ChatReadPush,
    LiveChannel,
    LivePush,
    PresenceStatus,
    SessionEndedPush,
)
from flowra_core.ports.workspaces import WorkspaceStore
from flowra_entrypoints.ws.access import ChatLookup
from flowra_entrypoints.ws.frames import CloseCode
from flowra_entrypoints.ws.handshake import HandshakeGate
from flowra_entrypoints.ws.hub import Hub
from flowra_entrypoints.ws.inbox import Inbox, InboxItem
from flowra_entrypoints.ws.limits import GatewayLimits, Monotonic, TypingThrottle
from flowra_entrypoints.ws.meter import WebSocketMeter
from flowra_entrypoints.ws.presence import PresenceTracker
from flowra_entrypoints.ws.pushes import (
    PushRouter,
    SessionStatus,
    close_ended_sessions,
    close_session,
)
from flowra_entrypoints.ws.resume import ChatJournal, ask_subscribers_to_resync
from flowra_entrypoints.ws.router import EventRouter
from flowra_entrypoints.ws.serving import ConnectionServer
from flowra_entrypoints.ws.session import SessionServices
from flowra_entrypoints.ws.socket import GatewaySocket

TYPING_INTERVAL_SECONDS: Final = 2.0


@dataclass(frozen=True, slots=True)
class GatewayPorts:
    bus: EventBus
    live: LiveChannel
    journal: ChatJournal
    chats: ChatStore
    workspaces: WorkspaceStore
    clock: Clock
    ids: IdGenerator


class WebSocketGateway:
    def __init__(
        self,
        ports: GatewayPorts,
        *,
        gate: HandshakeGate,
        presence: PresenceTracker,
        meter: WebSocketMeter,
        limits: GatewayLimits,
        monotonic: Monotonic = time.monotonic,
        sessions: SessionStatus | None = None,
    ) -> None:
        """`sessions`: where the browser sessions of ticket connections are checked after a gap
        in the live channel (None: no browser sessions, as without Keycloak)."""
        self.hub = Hub()
        self._ports = ports
        self._presence = presence
        self._sessions = sessions
        self._inbox_size = limits.inbox_size
        lookup = ChatLookup(ports.chats, ports.workspaces)
        self._events = EventRouter(self.hub, lookup)
        self._pushes = PushRouter(self.hub, lookup)
        services = SessionServices(
            hub=self.hub,
            lookup=lookup,
            journal=ports.journal,
            live=ports.live,
            typing=TypingThrottle(TYPING_INTERVAL_SECONDS, monotonic),
            clock=ports.clock,
            meter=meter,
            resume_window=timedelta(seconds=limits.resume_window),
            patience=limits.close_timeout,
        )
        self._server = ConnectionServer(
            gate=gate,
            services=services,
            presence=presence,
            ids=ports.ids,
            limits=limits,
            monotonic=monotonic,
        )
        self._inbox: Inbox | None = None
        self._router_task: asyncio.Task[None] | None = None
        self._session_checks: set[asyncio.Task[None]] = set()
        self._listening = False
        self._log = logger.bind(logger="ws")

    def start(self) -> None:
        """Start routing (on the running loop); idempotent."""
        if self._router_task is not None:
            return
        self._inbox = Inbox(self._inbox_size)
        self._router_task = asyncio.get_running_loop().create_task(self._route_forever())
        self._server.reopen()
        if not self._listening:
            self._ports.bus.listen(self._received_event)
            self._ports.bus.on_live_gap(self._live_gap)
            self._ports.live.listen(self._received_push)
            self._ports.live.on_gap(self._live_channel_gap)
            self._listening = True

    async def stop(self) -> None:
        """Graceful shutdown (operations.md §10): refuse new upgrades, close every connection with
        1001, let go of presence, stop routing. Idempotent."""
        await self._server.close_all(CloseCode.GOING_AWAY, "server shutting down")
        await self._presence.release_all()
        for check in list(self._session_checks):
            check.cancel()
        await asyncio.gather(*self._session_checks, return_exceptions=True)
        if self._router_task is not None:
            self._router_task.cancel()
            await asyncio.gather(self._router_task, return_exceptions=True)
            self._router_task = None
            self._inbox = None

    async def serve(self, socket: GatewaySocket) -> None:
        """Serve one WebSocket from handshake to close."""
        await self._server.serve(socket)

    async def presence_changed(self, user_id: str, status: PresenceStatus, at: datetime) -> None:
        """Announce a change the shared presence registry found (`RedisPresence.start`'s
        handler: users of an instance that died go offline)."""
        await self._presence.announce(user_id, status, at)

    async def chat_read(self, user_id: str, state: ReadState) -> None:
        """Push `chat.read` to the reader's connections on every instance (after `C/read`)."""
        push = ChatReadPush(
            user_id=user_id,
            chat_id=state.chat_id,
            last_read_message_id=state.last_read_message_id,
            unread_count=state.unread_count,
        )
        try:
            await self._ports.live.publish(push)
        except ServiceUnavailable as error:
            logger.bind(logger="ws", user_id=user_id).warning(
                "chat.read not relayed", error=error.reason
            )

    async def session_ended(self, session_id: str) -> None:
        """A browser session ended (`SessionBook.on_ended`): close its connections here with
        4401 at once, and on the other instances through the live channel."""
        close_session(self.hub, session_id)
        try:
            await self._ports.live.publish(SessionEndedPush(session_id=session_id))
        except ServiceUnavailable as error:
            self._log.warning("session end not relayed to other instances", error=error.reason)

    async def drained(self) -> None:
        """Wait until every event and push received so far has been routed, and every session
        check started so far is done."""
        if self._inbox is not None:
            await self._inbox.join()
        await asyncio.gather(*self._session_checks, return_exceptions=True)

    async def _received_event(self, envelope: EventEnvelope) -> None:
        self._take(envelope)

    async def _received_push(self, push: LivePush) -> None:
        self._take(push)

    async def _live_gap(self) -> None:
        # Not through the inbox: what it holds was received before the gap, and a full inbox
        # must not swallow this.
        queued = ask_subscribers_to_resync(self.hub)
        self._log.warning(
            "live feed resumed after a gap; subscribers asked to resync", subscriptions=queued
        )

    async def _live_channel_gap(self) -> None:
        # A session end published while the channel was away never arrived: check every session
        # here again, in the background (one store read per session, not on the channel's feed).
        # Other lost pushes are not chased: a typing indicator expires on the client within 5 s,
        # and presence and unread counts are served over REST from the shared registry and the
        # read markers, where a client finds them when it next loads them.
        if self._sessions is None or self._router_task is None:
            return
        check = asyncio.get_running_loop().create_task(self._check_sessions(self._sessions))
        self._session_checks.add(check)
        check.add_done_callback(self._session_checks.discard)

    async def _check_sessions(self, sessions: SessionStatus) -> None:
        try:
            closed = await close_ended_sessions(self.hub, sessions)
        except ServiceUnavailable as error:
            self._log.warning(
                "live channel resumed after a gap; sessions not checked",
                dependency=error.dependency,
                error=error.reason,
            )
            return
        self._log.warning(
            "live channel resumed after a gap; connections of ended sessions closed",
            connections=closed,
        )

    def _take(self, item: InboxItem) -> None:
        if self._inbox is None:
            return
        if isinstance(item, SessionEndedPush) and self._inbox.is_full():
            # A full inbox would drop it, and a resync does not bring it back: close now.
            close_session(self.hub, item.session_id)
            return
        self._inbox.offer(item)

    async def _route_forever(self) -> None:
        assert self._inbox is not None
        inbox = self._inbox
        while True:
            item = await inbox.get()
            try:
                await self._route(item)
                # Once the backlog an overflow left has been routed, clients resume what it cost.
                dropped = inbox.overflow_ended()
                if dropped:
                    queued = ask_subscribers_to_resync(self.hub)
                    self._log.warning(
                        "routing backlog drained after an overflow; subscribers asked to resync",
                        dropped=dropped,
                        subscriptions=queued,
                    )
            finally:
                inbox.task_done()
            # Let the writers send what this item queued before the next one adds more: a burst
            # longer than a send queue must not pass for a slow consumer.
            await asyncio.sleep(0)

    async def _route(self, item: InboxItem) -> None:
        try:
            if isinstance(item, EventEnvelope):
                await self._events.route(item)
            else:
                await self._pushes.route(item)
        except ServiceUnavailable as error:
            # Live delivery is best effort: clients catch up by resuming from the journal.
            self._log.warning("push not routed", dependency=error.dependency, error=error.reason)
        except Exception as error:  # noqa: BLE001 - one bad item must not stop all routing
            self._log.opt(exception=error).error("push routing failed")
