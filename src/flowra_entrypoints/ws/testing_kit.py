"""A started gateway on a fresh in-memory core, driven through `MemorySocket`s (for tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from flowra_core.app.actor import Actor
from flowra_core.domain.chat.creation import NewChat
from flowra_core.memory.ephemeral import InMemoryEphemeralStore
from flowra_core.memory.live import InMemoryLiveChannel, InMemoryPresenceRegistry
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.event_store import EventStore
from flowra_core.ports.live import LiveChannel
from flowra_core.testing.builder import TestCore, build_test_core
from flowra_core.testing.clock import SeededTokens
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.ws.gateway import GatewayPorts, WebSocketGateway
from flowra_entrypoints.ws.handshake import HandshakeGate
from flowra_entrypoints.ws.limits import GatewayLimits
from flowra_entrypoints.ws.meter import WebSocketMeter
from flowra_entrypoints.ws.presence import PresenceTracker
from flowra_entrypoints.ws.pushes import SessionStatus
from flowra_entrypoints.ws.resume import ChatJournal
from flowra_entrypoints.ws.testing import (
    APP_ORIGIN,
    PUBLIC_URL,
    WAIT_SECONDS,
    KnownTokens,
    ManualMonotonic,
    ManualScheduler,
    MemorySocket,
)
from flowra_entrypoints.ws.tickets import TicketBook


@dataclass
class GatewayKit:
    tc: TestCore
    gateway: WebSocketGateway
    tickets: TicketBook
    tokens: KnownTokens
    live: LiveChannel
    scheduler: ManualScheduler
    monotonic: ManualMonotonic
    metrics: Metrics
    served: dict[MemorySocket, asyncio.Task[None]] = field(default_factory=dict)

    def open(self, socket: MemorySocket) -> MemorySocket:
        """Start serving the socket (the handshake runs in the background)."""
        serving = asyncio.get_running_loop().create_task(self.gateway.serve(socket))
        self.served[socket] = serving
        return socket

    async def hang_up(self, socket: MemorySocket) -> None:
        """The client goes away; returns once the server is done with the connection."""
        socket.disconnect()
        async with asyncio.timeout(WAIT_SECONDS):
            await self.served[socket]

    async def connect(self, actor: Actor, **headers: str) -> MemorySocket:
        """A connection of the user, by ticket, once its `connected` frame has arrived. Events
        published before are routed first: a connection gets only what happens after it opens."""
        await self.gateway.drained()
        issued = await self.tickets.issue(actor.user_id)
        socket = self.open(MemorySocket(query={"ticket": issued.ticket}, headers=headers))
        await socket.frame("connected")
        return socket

    async def settle(self, *sockets: MemorySocket) -> None:
        """Everything published so far has been routed and sent to these sockets."""
        await self.gateway.drained()
        for socket in sockets:
            await socket.roundtrip()

    async def workspace(self, owner: Actor, *members: Actor) -> str:
        workspaces = self.tc.core.workspaces
        view = await workspaces.create(owner, name="Acme", description=None)
        for member in members:
            await workspaces.add_member(
                owner, view.workspace.id, user_id=member.user_id, username=None, role=None
            )
        return view.workspace.id

    async def chat(
        self,
        creator: Actor,
        workspace_id: str,
        *participants: Actor,
        is_public: bool = True,
        chat_type: str | None = None,
    ) -> str:
        draft = NewChat(
            type=chat_type,
            title="Launch plan",
            is_public=is_public,
            participant_ids=[p.user_id for p in participants],
        )
        view = await self.tc.core.chats.create(creator, workspace_id, draft)
        return view.chat.id

    async def post(self, author: Actor, workspace_id: str, chat_id: str, content: str) -> str:
        sent = await self.tc.core.messages.send(author, workspace_id, chat_id, content=content)
        return sent.message.message.id

    async def close(self) -> None:
        """Stop the gateway and wait for every connection it served."""
        await self.gateway.stop()
        await asyncio.gather(*self.served.values())


async def build_gateway_kit(
    *,
    limits: GatewayLimits | None = None,
    grace: float = 5.0,
    journal: Callable[[EventStore], ChatJournal] | None = None,
    bus: Callable[[EventBus], EventBus] | None = None,
    live: LiveChannel | None = None,
    sessions: SessionStatus | None = None,
) -> GatewayKit:
    """A started gateway on a fresh test core; `journal` wraps the core's event store where the
    gateway reads it (resume), `bus` the core's bus where the gateway listens to it; `live`
    replaces the in-memory live channel (another instance's pushes, Redis); `sessions` is where
    it checks browser sessions after a gap in the live channel."""
    tc = await build_test_core()
    ports = tc.core.ports
    live = live or InMemoryLiveChannel()
    scheduler = ManualScheduler()
    monotonic = ManualMonotonic()
    tokens = KnownTokens()
    tickets = TicketBook(InMemoryEphemeralStore(tc.clock), SeededTokens(7), ttl_seconds=30)
    metrics = Metrics()
    presence = PresenceTracker(
        InMemoryPresenceRegistry(tc.adapters.presence),
        live,
        ports.workspaces,
        tc.clock,
        grace=grace,
        schedule=scheduler,
    )
    gate = HandshakeGate(
        identity=tokens,
        users=tc.core.users,
        user_store=ports.users,
        tickets=tickets,
        trusted_origins=[PUBLIC_URL, APP_ORIGIN],
    )
    gateway = WebSocketGateway(
        GatewayPorts(
            bus=bus(ports.bus) if bus else ports.bus,
            live=live,
            journal=journal(ports.event_store) if journal else ports.event_store,
            chats=ports.chats,
            workspaces=ports.workspaces,
            clock=ports.clock,
            ids=ports.ids,
        ),
        gate=gate,
        presence=presence,
        meter=WebSocketMeter(metrics),
        limits=limits or GatewayLimits(),
        monotonic=monotonic,
        sessions=sessions,
    )
    gateway.start()
    return GatewayKit(tc, gateway, tickets, tokens, live, scheduler, monotonic, metrics)


KitFactory = Callable[..., Awaitable[GatewayKit]]
