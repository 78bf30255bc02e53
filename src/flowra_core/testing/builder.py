"""One call to a ready core on in-memory adapters, for tests and the embedded profile."""

from __future__ import annotations

from dataclasses import dataclass

from flowra_core.app.actor import Actor
from flowra_core.app.core import CorePorts, FlowraCore, ReactionsFor, standard_reactions
from flowra_core.domain.user import UserSource
from flowra_core.memory.chats import InMemoryChatStore
from flowra_core.memory.event_bus import InMemoryEventBus
from flowra_core.memory.event_store import InMemoryEventStore
from flowra_core.memory.files import InMemoryBlobStorage, InMemoryFileStore
from flowra_core.memory.messages import InMemoryMessageStore, InMemorySummaryDraftStore
from flowra_core.memory.notifications import InMemoryNotificationStore
from flowra_core.memory.presence import InMemoryPresence
from flowra_core.memory.reaction_work import InMemoryReactionWork
from flowra_core.memory.read_markers import InMemoryReadMarkerStore
from flowra_core.memory.search import InMemorySearchIndex
from flowra_core.memory.users import InMemoryUserStore
from flowra_core.memory.workspaces import InMemoryInviteTokenStore, InMemoryWorkspaceStore
from flowra_core.ports.clock import Clock, IdGenerator, SecretTokens
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens


@dataclass(frozen=True, slots=True)
class InMemoryAdapters:
    event_store: InMemoryEventStore
    bus: InMemoryEventBus
    users: InMemoryUserStore
    workspaces: InMemoryWorkspaceStore
    invite_tokens: InMemoryInviteTokenStore
    presence: InMemoryPresence
    chats: InMemoryChatStore
    notifications: InMemoryNotificationStore
    search: InMemorySearchIndex
    messages: InMemoryMessageStore
    summary_drafts: InMemorySummaryDraftStore
    read_markers: InMemoryReadMarkerStore
    files: InMemoryFileStore
    blobs: InMemoryBlobStorage
    reaction_work: InMemoryReactionWork


def in_memory_ports(
    *, clock: Clock, ids: IdGenerator, tokens: SecretTokens
) -> tuple[CorePorts, InMemoryAdapters]:
    adapters = InMemoryAdapters(
        event_store=InMemoryEventStore(),
        bus=InMemoryEventBus(clock),
        users=InMemoryUserStore(),
        workspaces=InMemoryWorkspaceStore(),
        invite_tokens=InMemoryInviteTokenStore(),
        presence=InMemoryPresence(),
        chats=InMemoryChatStore(),
        notifications=InMemoryNotificationStore(),
        search=InMemorySearchIndex(),
        messages=InMemoryMessageStore(),
        summary_drafts=InMemorySummaryDraftStore(),
        read_markers=InMemoryReadMarkerStore(),
        files=InMemoryFileStore(),
        blobs=InMemoryBlobStorage(),
        reaction_work=InMemoryReactionWork(),
    )
    ports = CorePorts(
        event_store=adapters.event_store,
        bus=adapters.bus,
        clock=clock,
        ids=ids,
        tokens=tokens,
        users=adapters.users,
        workspaces=adapters.workspaces,
        invite_tokens=adapters.invite_tokens,
        presence=adapters.presence,
        chats=adapters.chats,
        notifications=adapters.notifications,
        search=adapters.search,
        messages=adapters.messages,
        summary_drafts=adapters.summary_drafts,
        read_markers=adapters.read_markers,
        files=adapters.files,
        blobs=adapters.blobs,
        reaction_work=adapters.reaction_work,
    )
    return ports, adapters


@dataclass
class TestCore:
    """A core on in-memory adapters with a controllable clock, plus test conveniences."""

    __test__ = False  # not a pytest test class

    core: FlowraCore
    adapters: InMemoryAdapters
    clock: FixedClock

    async def user(self, username: str, *, is_system_admin: bool = False) -> Actor:
        """Provision a user as the local identity provider would and act as them."""
        user = await self.core.users.provision(
            IdentityClaims(
                external_id=f"local:{username.lower()}",
                username=username,
                email=f"{username.lower()}@flowra.local",
                display_name=username.capitalize(),
                is_system_admin=is_system_admin,
                source=UserSource.DEV,
            )
        )
        return Actor(user.id, is_system_admin=user.is_system_admin)


async def build_test_core(
    *, seed: int = 0, reactions: ReactionsFor = standard_reactions
) -> TestCore:
    """`reactions`: the reaction table (an embedding app may add its own reactions)."""
    clock = FixedClock()
    ports, adapters = in_memory_ports(clock=clock, ids=SeededIds(seed), tokens=SeededTokens(seed))
    core = FlowraCore(ports, reactions=reactions)
    await core.users.ensure_bot()
    return TestCore(core=core, adapters=adapters, clock=clock)
