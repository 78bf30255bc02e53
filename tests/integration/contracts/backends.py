"""The two implementations of every port under contract: the in-memory adapters of
`flowra_core.testing`, and the MongoDB adapters on a fresh database (FerretDB here) created
with the collections and indexes of migrations 0001 and 0003 and dropped afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from flowra_adapters.mongo import (
    MongoChatStore,
    MongoDatabase,
    MongoEventStore,
    MongoInviteTokenStore,
    MongoLeaseLocks,
    MongoUserStore,
    MongoWorkspaceStore,
)
from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.files import MongoFileStore
from flowra_adapters.mongo.messages import MongoMessageStore, MongoSummaryDraftStore
from flowra_adapters.mongo.migrations import m0001_collections, m0003_read_models
from flowra_adapters.mongo.notifications import MongoNotificationStore
from flowra_adapters.mongo.reaction_work import MongoReactionWork
from flowra_adapters.mongo.read_markers import MongoReadMarkerStore
from flowra_adapters.mongo.search import MongoSearchIndex
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.memory.chats import InMemoryChatStore
from flowra_core.memory.event_store import InMemoryEventStore
from flowra_core.memory.files import InMemoryFileStore
from flowra_core.memory.locks import InMemoryLeaseLocks
from flowra_core.memory.messages import InMemoryMessageStore, InMemorySummaryDraftStore
from flowra_core.memory.notifications import InMemoryNotificationStore
from flowra_core.memory.reaction_work import InMemoryReactionWork
from flowra_core.memory.read_markers import InMemoryReadMarkerStore
from flowra_core.memory.search import InMemorySearchIndex
from flowra_core.memory.users import InMemoryUserStore
from flowra_core.memory.workspaces import InMemoryInviteTokenStore, InMemoryWorkspaceStore
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.event_store import EventStore
from flowra_core.ports.files import FileStore
from flowra_core.ports.locks import LeaseLocks
from flowra_core.ports.messages import MessageStore, SummaryDraftStore
from flowra_core.ports.notifications import NotificationStore
from flowra_core.ports.reaction_work import ReactionWork
from flowra_core.ports.read_markers import ReadMarkerStore
from flowra_core.ports.search import SearchIndex
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import InviteTokenStore, WorkspaceStore
from flowra_core.testing.clock import FixedClock

MONGO_TIMEOUT_S = 5.0
START_HINT = "start the test servers with `scripts/services.sh up`"


@dataclass(frozen=True, slots=True)
class Ports:
    """One implementation of every port under contract."""

    backend: str
    events: EventStore
    users: UserStore
    workspaces: WorkspaceStore
    invite_tokens: InviteTokenStore
    chats: ChatStore
    locks: LeaseLocks
    clock: FixedClock
    messages: MessageStore
    summary_drafts: SummaryDraftStore
    read_markers: ReadMarkerStore
    notifications: NotificationStore
    search: SearchIndex
    files: FileStore
    reaction_work: ReactionWork


def memory_ports() -> Ports:
    clock = FixedClock()
    return Ports(
        backend="memory",
        events=InMemoryEventStore(),
        users=InMemoryUserStore(),
        workspaces=InMemoryWorkspaceStore(),
        invite_tokens=InMemoryInviteTokenStore(),
        chats=InMemoryChatStore(),
        locks=InMemoryLeaseLocks(clock),
        clock=clock,
        messages=InMemoryMessageStore(),
        summary_drafts=InMemorySummaryDraftStore(),
        read_markers=InMemoryReadMarkerStore(),
        notifications=InMemoryNotificationStore(),
        search=InMemorySearchIndex(),
        files=InMemoryFileStore(),
        reaction_work=InMemoryReactionWork(),
    )


def mongo_ports(database: MongoDatabase) -> Ports:
    clock = FixedClock()
    return Ports(
        backend="mongo",
        events=MongoEventStore(database),
        users=MongoUserStore(database),
        workspaces=MongoWorkspaceStore(database),
        invite_tokens=MongoInviteTokenStore(database),
        chats=MongoChatStore(database),
        locks=MongoLeaseLocks(database, clock),
        clock=clock,
        messages=MongoMessageStore(database),
        summary_drafts=MongoSummaryDraftStore(database),
        read_markers=MongoReadMarkerStore(database),
        notifications=MongoNotificationStore(database),
        search=MongoSearchIndex(database),
        files=MongoFileStore(database),
        reaction_work=MongoReactionWork(database),
    )


@contextlib.asynccontextmanager
async def fresh_mongo_database(uri: str) -> AsyncIterator[MongoDatabase]:
    """A new random database with the collections and indexes of migrations 0001 and 0003;
    dropped on exit."""
    client = create_mongo_client(uri, timeout=MONGO_TIMEOUT_S, max_pool_size=4)
    database = MongoDatabase(client, f"flowra_contract_{uuid.uuid4().hex[:12]}")
    try:
        try:
            for migration in (m0001_collections.MIGRATION, m0003_read_models.MIGRATION):
                await migration.apply(database, datetime.now(UTC))
        except ServiceUnavailable as error:
            pytest.fail(f"MongoDB/FerretDB not reachable at {uri} ({START_HINT}): {error}")
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()
