"""The core as one object: every use case, wired to a set of ports."""

from __future__ import annotations

from dataclasses import dataclass

from flowra_core.app.projections import CompositeProjector
from flowra_core.app.users import UserService
from flowra_core.app.workspaces import WorkspaceService
from flowra_core.app.write_path import PublishFailureHook, WritePath
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.event_bus import EventBus
from flowra_core.ports.event_store import Commit, EventStore
from flowra_core.ports.presence import PresenceReader
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import InviteTokenStore, WorkspaceStore


def _leave_to_relay(commit: Commit, error: ServiceUnavailable) -> None:
    """Default: a publication the bus refused is republished by the worker's relay."""


@dataclass(frozen=True, slots=True)
class CorePorts:
    event_store: EventStore
    bus: EventBus
    clock: Clock
    ids: IdGenerator
    tokens: SecretTokens
    users: UserStore
    workspaces: WorkspaceStore
    invite_tokens: InviteTokenStore
    presence: PresenceReader


class FlowraCore:
    def __init__(
        self, ports: CorePorts, *, on_publish_failure: PublishFailureHook = _leave_to_relay
    ) -> None:
        self.ports = ports
        self.write = WritePath(
            event_store=ports.event_store,
            bus=ports.bus,
            clock=ports.clock,
            ids=ports.ids,
            projector=CompositeProjector([]),
            on_publish_failure=on_publish_failure,
        )
        self.users = UserService(self.write, ports.users, ports.workspaces)
        self.workspaces = WorkspaceService(
            self.write,
            ports.workspaces,
            ports.users,
            ports.invite_tokens,
            ports.tokens,
            ports.presence,
        )
