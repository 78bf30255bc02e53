"""The two implementations of every port under contract: the in-memory adapters of
`flowra_core.testing`, and the MongoDB adapters on a fresh database (FerretDB here) created
with migration 0001's collections and indexes and dropped afterwards."""

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
from flowra_adapters.mongo.migrations import m0001_collections
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.ports.chats import ChatStore
from flowra_core.ports.event_store import EventStore
from flowra_core.ports.locks import LeaseLocks
from flowra_core.ports.users import UserStore
from flowra_core.ports.workspaces import InviteTokenStore, WorkspaceStore
from flowra_core.testing.chats import InMemoryChatStore
from flowra_core.testing.clock import FixedClock
from flowra_core.testing.event_store import InMemoryEventStore
from flowra_core.testing.locks import InMemoryLeaseLocks
from flowra_core.testing.users import InMemoryUserStore
from flowra_core.testing.workspaces import InMemoryInviteTokenStore, InMemoryWorkspaceStore

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
    )


@contextlib.asynccontextmanager
async def fresh_mongo_database(uri: str) -> AsyncIterator[MongoDatabase]:
    """A new random database with migration 0001 applied; dropped on exit."""
    client = create_mongo_client(uri, timeout=MONGO_TIMEOUT_S, max_pool_size=4)
    database = MongoDatabase(client, f"flowra_contract_{uuid.uuid4().hex[:12]}")
    try:
        try:
            await m0001_collections.MIGRATION.apply(database, datetime.now(UTC))
        except ServiceUnavailable as error:
            pytest.fail(f"MongoDB/FerretDB not reachable at {uri} ({START_HINT}): {error}")
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()
