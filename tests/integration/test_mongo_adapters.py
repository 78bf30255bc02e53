"""What only the MongoDB adapters show: the stored document shapes of operations.md §6, the
operation hook behind `flowra_mongodb_operations_total`, driver errors translated at the
boundary, and races between writers settled by the server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flowra_adapters.mongo import (
    MongoChatStore,
    MongoDatabase,
    MongoEventStore,
    MongoLeaseLocks,
    MongoUserStore,
    StorageError,
)
from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.migrations import HeldLease, LockLostError, m0001_collections
from flowra_adapters.system import SystemClock
from flowra_core.domain.chat.state import Chat
from flowra_core.domain.chat.vocabulary import ChatType
from flowra_core.domain.errors import ConcurrencyConflict
from flowra_core.domain.events import AggregateType, EventEnvelope
from flowra_core.domain.user.events import UserReactivated
from flowra_core.domain.user.state import User
from flowra_core.ports.chats import micros
from flowra_core.ports.event_store import Commit

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 28, 10, 30, tzinfo=UTC)
Call = tuple[str, str, str]


class OperationLog:
    """The operation hook of the adapters under test: every call, and a way to await one."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._added = asyncio.Event()

    def __call__(self, collection: str, operation: str, outcome: str) -> None:
        self.calls.append((collection, operation, outcome))
        self._added.set()

    async def wait_for(self, call: Call, *, count: int, timeout_s: float = 5.0) -> None:
        """Until `call` has been seen `count` times."""
        async with asyncio.timeout(timeout_s):
            while self.calls.count(call) < count:
                self._added.clear()
                await self._added.wait()


@pytest.fixture
def log() -> OperationLog:
    return OperationLog()


@pytest.fixture
async def database(mongodb_uri: str, log: OperationLog) -> AsyncIterator[MongoDatabase]:
    """A fresh database with migration 0001 applied, recording every operation in `log`."""
    client = create_mongo_client(mongodb_uri, timeout=5.0, max_pool_size=20)
    name = f"flowra_adapters_{uuid.uuid4().hex[:12]}"
    await m0001_collections.MIGRATION.apply(MongoDatabase(client, name), T0)
    try:
        yield MongoDatabase(client, name, on_operation=log)
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
async def atomic_updates(database: MongoDatabase) -> None:
    """Races between conditional updates need single-document atomicity, which MongoDB gives
    and FerretDB 1.24 (SQLite backend) does not: there, concurrent updates of one document
    read and write unsynchronised and lose writes (50 concurrent `$inc` of one field end at
    a handful). Only unique-index inserts, which the journal relies on, hold up on it."""
    build = await database.raw.command("buildInfo")
    if "ferretdbVersion" in build:
        pytest.skip("FerretDB has no atomic read-modify-write of one document under concurrency")


def user_commit(base_version: int, commit_id: str) -> Commit:
    return Commit(
        commit_id=commit_id,
        aggregate_type=AggregateType.USER,
        aggregate_id="u1",
        base_version=base_version,
        workspace_id=None,
        chat_id=None,
        actor_id="admin",
        recorded_at=T0,
        events=(
            EventEnvelope(
                event_id=f"{commit_id}-e1",
                aggregate_type=AggregateType.USER,
                aggregate_id="u1",
                version=base_version + 1,
                workspace_id=None,
                chat_id=None,
                actor_id="admin",
                occurred_at=T0,
                event=UserReactivated(user_id="u1"),
            ),
        ),
    )


def user(user_id: str, username: str, version: int = 1) -> User:
    return User(
        id=user_id,
        external_id=f"kc-{user_id}",
        username=username,
        email=f"{user_id}@flowra.test",
        display_name=username,
        display_name_custom=False,
        is_active=True,
        is_system_admin=False,
        created_at=T0,
        updated_at=T0,
        version=version,
    )


def chat(version: int, updated_at: datetime) -> Chat:
    return Chat(
        id="c1",
        workspace_id="w1",
        created_by="u1",
        created_at=T0,
        updated_at=updated_at,
        type=ChatType.DISCUSSION,
        is_public=True,
        title="General",
        version=version,
    )


async def raw(database: MongoDatabase, collection: str, document_id: str) -> dict[str, Any]:
    found = await database.collection(collection).find_one({"_id": document_id})
    assert found is not None
    return found


class TestDocumentShapes:
    async def test_a_commit_is_one_document_holding_its_events(
        self, database: MongoDatabase
    ) -> None:
        await MongoEventStore(database).append(user_commit(0, "commit-1"))

        stored = await raw(database, "commits", "commit-1")

        assert stored == {
            "_id": "commit-1",
            "aggregate_type": "user",
            "aggregate_id": "u1",
            "base_version": 0,
            "workspace_id": None,
            "chat_id": None,
            "actor_id": "admin",
            "recorded_at": T0,
            "events": [
                {
                    "event_id": "commit-1-e1",
                    "type": "user.reactivated",
                    "version": 1,
                    "occurred_at": T0,
                    "data": {"user_id": "u1"},
                }
            ],
            # What it still owes lives in `reaction_work`, not on the journal.
            "summarize": False,
        }

    async def test_a_user_document_carries_its_lowercased_username(
        self, database: MongoDatabase
    ) -> None:
        await MongoUserStore(database).save(user("u1", "Alice"))

        stored = await raw(database, "users", "u1")

        assert (stored["username"], stored["username_lower"], stored["version"]) == (
            "Alice",
            "alice",
            1,
        )
        assert stored["created_at"] == T0


class TestOperationHook:
    async def test_every_operation_reports_its_collection_and_outcome(
        self, database: MongoDatabase, log: OperationLog
    ) -> None:
        events = MongoEventStore(database)
        await events.append(user_commit(0, "first"))
        with pytest.raises(ConcurrencyConflict):
            await events.append(user_commit(0, "second"))
        await events.read_stream("u1")

        assert log.calls == [
            ("commits", "insert", "ok"),
            ("commits", "insert", "error"),
            ("commits", "find", "ok"),
        ]


class TestErrors:
    async def test_a_username_taken_by_another_user_is_a_conflict(
        self, database: MongoDatabase
    ) -> None:
        users = MongoUserStore(database)
        await users.save(user("u1", "alice"))

        with pytest.raises(ConcurrencyConflict):
            await users.save(user("u2", "ALICE"))

        assert await users.get("u2") is None

    async def test_a_document_that_no_longer_decodes_is_a_storage_error(
        self, database: MongoDatabase
    ) -> None:
        await database.collection("users").insert_one({"_id": "u1", "version": 1, "email": 5})

        with pytest.raises(StorageError, match="stored User 'u1' does not decode"):
            await MongoUserStore(database).get("u1")


RENEWAL: Call = ("locks", "acquire", "ok")


class TestHeldLease:
    async def test_the_lease_is_renewed_while_held_and_released_after(
        self, database: MongoDatabase, log: OperationLog
    ) -> None:
        locks = MongoLeaseLocks(database, SystemClock())
        lease = HeldLease(locks, "migrator", "me", renew_every=timedelta(milliseconds=20))

        async with lease.held():
            taken = await locks.holder("migrator")
            await log.wait_for(RENEWAL, count=2)
            renewed = await locks.holder("migrator")

        assert taken is not None
        assert renewed is not None
        assert renewed.owner == "me"
        assert renewed.expires_at > taken.expires_at
        assert await locks.holder("migrator") is None

    async def test_a_lease_taken_over_meanwhile_is_reported_lost(
        self, database: MongoDatabase, log: OperationLog
    ) -> None:
        locks = MongoLeaseLocks(database, SystemClock())
        lease = HeldLease(locks, "migrator", "me", renew_every=timedelta(milliseconds=20))
        stolen = {"$set": {"owner": "intruder", "expires_at": T0 + timedelta(days=3650)}}

        async def hold_while_another_takes_over() -> None:
            async with lease.held():
                await database.collection("locks").update_one({"_id": "migrator"}, stolen)
                await log.wait_for(RENEWAL, count=2)

        with pytest.raises(LockLostError):
            await hold_while_another_takes_over()

        holder = await locks.holder("migrator")
        assert holder is not None
        assert holder.owner == "intruder"


class TestRaces:
    async def test_of_fifty_writers_on_one_version_exactly_one_commits(
        self, database: MongoDatabase
    ) -> None:
        events = MongoEventStore(database)

        outcomes = await asyncio.gather(
            *(events.append(user_commit(0, f"writer-{n}")) for n in range(50)),
            return_exceptions=True,
        )

        assert sum(outcome is None for outcome in outcomes) == 1
        assert all(isinstance(o, ConcurrencyConflict) for o in outcomes if o is not None)
        assert len(await events.read_stream("u1")) == 1

    @pytest.mark.usefixtures("atomic_updates")
    async def test_racing_saves_keep_the_newest_version(self, database: MongoDatabase) -> None:
        users = MongoUserStore(database)

        await asyncio.gather(*(users.save(user("u1", f"name{v}", v)) for v in range(1, 21)))

        stored = await users.get("u1")
        assert stored is not None
        assert (stored.username, stored.version) == ("name20", 20)

    @pytest.mark.usefixtures("atomic_updates")
    async def test_activity_stays_the_later_of_update_and_message_under_races(
        self, database: MongoDatabase
    ) -> None:
        chats = MongoChatStore(database)
        rounds = 10
        writes = [chats.save(chat(v, T0 + timedelta(minutes=2 * v))) for v in range(1, rounds)]
        writes += [
            chats.set_last_message_at("c1", T0 + timedelta(minutes=2 * n + 1))
            for n in range(1, rounds)
        ]

        await asyncio.gather(*writes)

        stored = await raw(database, "chats", "c1")
        activity = max(stored["updated_at"], stored["last_message_at"])
        assert stored["version"] == rounds - 1
        assert (stored["last_activity_at"], stored["sort_activity"]) == (activity, micros(activity))
