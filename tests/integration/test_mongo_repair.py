"""The repair path on MongoDB (operations.md §4 "Apply", §5 "repair"): a chat document whose
save failed after the commit is queued in `repair_queue`, and the repair rebuilds it from the
`commits` journal, confirms the commits projected and closes the item."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from flowra_adapters.mongo.chats import MongoChatStore
from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.core_ports import mongo_core_ports
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import m0001_collections, m0003_read_models
from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import Chat, ChatChanges, NewChat
from flowra_core.domain.errors import ServiceUnavailable
from flowra_core.domain.user import UserSource
from flowra_core.ports.identity import IdentityClaims
from flowra_core.testing.clock import FixedClock, SeededIds, SeededTokens
from flowra_core.testing.event_bus import InMemoryEventBus
from flowra_core.testing.files import InMemoryBlobStorage
from flowra_core.testing.presence import InMemoryPresence

pytestmark = pytest.mark.integration


class ChatStoreFailingNextSave(MongoChatStore):
    """The MongoDB chat store; the next save fails like a timeout while `fail_next` is set."""

    fail_next = False

    async def save(self, state: Chat) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ServiceUnavailable("mongodb", "timeout")
        await super().save(state)


@pytest.fixture
async def database(mongodb_uri: str) -> AsyncIterator[MongoDatabase]:
    client = create_mongo_client(mongodb_uri, timeout=5.0, max_pool_size=4)
    database = MongoDatabase(client, f"flowra_repair_{uuid.uuid4().hex[:12]}")
    try:
        for migration in (m0001_collections.MIGRATION, m0003_read_models.MIGRATION):
            await migration.apply(database, datetime.now(UTC))
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()


async def test_a_failed_save_is_queued_and_repaired_from_the_journal(
    database: MongoDatabase,
) -> None:
    ports = mongo_core_ports(
        database,
        clock=FixedClock(),
        ids=SeededIds(5),
        tokens=SeededTokens(5),
        bus=InMemoryEventBus(),
        presence=InMemoryPresence(),
        blobs=InMemoryBlobStorage(),
    )
    chats = ChatStoreFailingNextSave(database)
    core = FlowraCore(replace(ports, chats=chats))
    await core.users.ensure_bot()
    user = await core.users.provision(
        IdentityClaims("local:alice", "alice", None, None, False, UserSource.DEV)
    )
    alice = Actor(user.id)
    workspace = await core.workspaces.create(alice, name="Team", description=None)
    workspace_id = workspace.workspace.id
    created = await core.chats.create(alice, workspace_id, NewChat(type="task", title="Ship it"))
    chat_id = created.chat.id
    chats.fail_next = True

    patched = await core.chats.patch(alice, workspace_id, chat_id, ChatChanges(title="Launch"))

    assert patched.chat.title == "Launch"
    chat_document = await database.collection("chats").find_one({"_id": chat_id})
    assert chat_document is not None
    assert chat_document["title"] == "Ship it"
    (queued,) = await database.collection("repair_queue").find({}).to_list()
    assert (queued["aggregate_type"], queued["aggregate_id"], queued["status"]) == (
        "chat",
        chat_id,
        "pending",
    )
    unprojected = {"aggregate_id": chat_id, "projected_at": None}
    assert await database.collection("commits").count_documents(unprojected) == 1

    report = await core.repair(batch_size=10).run_once()

    assert [item.aggregate_id for item in report.repaired] == [chat_id]
    chat_document = await database.collection("chats").find_one({"_id": chat_id})
    assert chat_document is not None
    assert chat_document["title"] == "Launch"
    assert chat_document["version"] == len(await ports.event_store.read_stream(chat_id))
    assert await database.collection("commits").count_documents(unprojected) == 0
    closed = await database.collection("repair_queue").find_one({"_id": queued["_id"]})
    assert closed is not None
    assert closed["status"] == "done"
    hits = await core.search.search(alice, workspace_id, q="launch")
    assert [hit.chat_title for hit in hits.items] == ["Launch"]
