"""Building the gateway from the settings and the core (called by the container)."""

from __future__ import annotations

from flowra_core.app.core import FlowraCore
from flowra_core.ports.clock import SecretTokens
from flowra_core.ports.ephemeral import EphemeralStore
from flowra_core.ports.identity import TokenVerifier
from flowra_core.ports.live import LiveChannel, PresenceRegistry
from flowra_entrypoints.http.sessions import SessionBook
from flowra_entrypoints.identity import IdentitySide
from flowra_entrypoints.metrics import Metrics
from flowra_entrypoints.settings import Settings
from flowra_entrypoints.ws.gateway import GatewayPorts, WebSocketGateway
from flowra_entrypoints.ws.handshake import HandshakeGate
from flowra_entrypoints.ws.limits import GatewayLimits
from flowra_entrypoints.ws.meter import WebSocketMeter
from flowra_entrypoints.ws.presence import AsyncioScheduler, PresenceTracker
from flowra_entrypoints.ws.tickets import TicketBook


def build_ticket_book(
    settings: Settings, store: EphemeralStore, tokens: SecretTokens
) -> TicketBook:
    return TicketBook(store, tokens, ttl_seconds=settings.websocket.ticket_ttl)


def session_book_of(identity: IdentitySide) -> SessionBook | None:
    """The browser sessions (Keycloak provider only): their ends close WebSockets (4401)."""
    return identity.keycloak.sessions if identity.keycloak is not None else None


def build_websocket_gateway(
    *,
    settings: Settings,
    core: FlowraCore,
    identity: TokenVerifier,
    tickets: TicketBook,
    live: LiveChannel,
    presence: PresenceRegistry,
    metrics: Metrics,
    sessions: SessionBook | None = None,
) -> WebSocketGateway:
    """The gateway on the core's ports plus the live channel and the presence registry, which
    are per-process in memory or shared through Redis (`eventbus.type`); it listens for the
    ends of `sessions`, and asks them again after a gap in the live channel."""
    ports = core.ports
    tracker = PresenceTracker(
        presence,
        live,
        ports.workspaces,
        ports.clock,
        grace=settings.websocket.presence_grace,
        schedule=AsyncioScheduler(),
    )
    gate = HandshakeGate(
        identity=identity,
        users=core.users,
        user_store=ports.users,
        tickets=tickets,
        trusted_origins=[settings.server.public_url, *settings.cors.allowed_origins],
    )
    gateway = WebSocketGateway(
        GatewayPorts(
            bus=ports.bus,
            live=live,
            journal=ports.event_store,
            chats=ports.chats,
            workspaces=ports.workspaces,
            clock=ports.clock,
            ids=ports.ids,
        ),
        gate=gate,
        presence=tracker,
        meter=WebSocketMeter(metrics),
        limits=GatewayLimits.from_settings(settings.websocket),
        sessions=sessions,
    )
    if sessions is not None:
        sessions.on_ended(gateway.session_ended)
    return gateway
