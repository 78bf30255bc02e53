"""Page latency and send throughput of the core on MongoDB (FerretDB here).

For each size (default 10^3, 10^4 and 10^5 rows), in a fresh migrated database:
- messages: that many top-level messages in ONE chat, bulk-inserted as the message store writes
  them (its codec); then the p50 of the first page (50, newest first) and of a deep page (the
  50 before a cursor 90 % of the way back), through `MessageStore.top_level`;
- work items: that many tasks in ONE workspace, bulk-inserted as the chat store writes them
  (state plus sort fields); then the p50 of the first and of a deep board-ordered task page
  (`ChatStore.list_tasks`, the board's column query) and of the whole board
  (`TaskService.board`: 4 columns, each a page plus its count).

Then send-message throughput through the core's use case on the mongo profile.

Flat rows mean a page costs O(page). On real MongoDB the 0003 indexes give that; FerretDB's
SQLite backend scans (its query plans say SCAN, no filter/sort push-down), so there the numbers
grow with the rows, and the script says so.

Not a test, never run in CI. Needs the server of `scripts/services.sh up`:
`.venv/bin/python benchmarks/mongo_pages.py [--sizes 1000,10000,100000]
[--parts messages,tasks,sends] [--uri URI]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flowra_adapters.mongo.chat_lists import chat_sort_fields
from flowra_adapters.mongo.client import create_mongo_client
from flowra_adapters.mongo.codec import state_to_document
from flowra_adapters.mongo.core_ports import mongo_core_ports
from flowra_adapters.mongo.database import MongoDatabase
from flowra_adapters.mongo.migrations import Migrator
from flowra_adapters.mongo.names import CHATS, MESSAGES
from flowra_adapters.system import RandomTokens, SystemClock, Uuid4Ids
from flowra_core.app.actor import Actor
from flowra_core.app.core import FlowraCore
from flowra_core.domain.chat import NewChat
from flowra_core.domain.chat.state import Chat, Participant
from flowra_core.domain.chat.vocabulary import ChatType, ParticipantRole, Priority, Status
from flowra_core.domain.message.state import Message
from flowra_core.domain.message.values import MessageType
from flowra_core.domain.user import UserSource
from flowra_core.memory.event_bus import InMemoryEventBus
from flowra_core.memory.files import InMemoryBlobStorage
from flowra_core.memory.presence import InMemoryPresence
from flowra_core.ports.chats import ChatRecord, TaskQuery, TaskSort, task_order
from flowra_core.ports.identity import IdentityClaims

PAGE = 50
REPEATS = 15
SAMPLING_BUDGET_S = 20.0
INSERT_BATCH = 1_000
SENDS = 200
STATUSES = (Status.TO_DO, Status.IN_PROGRESS, Status.DONE)
PRIORITIES = (None, Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def p50_ms(call: Callable[[], Awaitable[object]]) -> float:
    """The median of up to REPEATS timed calls after a warm-up; a slow call (a scan of 10^5
    documents) stops the sampling once SAMPLING_BUDGET_S is spent."""
    samples: list[float] = []
    spent = 0.0
    for attempt in range(REPEATS + 1):
        started = time.perf_counter()
        await call()
        elapsed = time.perf_counter() - started
        spent += elapsed
        if attempt > 0 or elapsed > SAMPLING_BUDGET_S / 4:
            samples.append(elapsed * 1000)
        if spent > SAMPLING_BUDGET_S:
            break
    return statistics.median(samples)


async def fresh_core(client: Any, name: str) -> tuple[MongoDatabase, FlowraCore]:
    database = MongoDatabase(client, name)
    await Migrator(database, owner="benchmark", clock=SystemClock()).up()
    ports = mongo_core_ports(
        database,
        clock=SystemClock(),
        ids=Uuid4Ids(),
        tokens=RandomTokens(),
        bus=InMemoryEventBus(),
        presence=InMemoryPresence(),
        blobs=InMemoryBlobStorage(),
    )
    return database, FlowraCore(ports)


async def actor(core: FlowraCore, username: str) -> Actor:
    user = await core.users.provision(
        IdentityClaims(
            external_id=f"local:{username}",
            username=username,
            email=f"{username}@bench.local",
            display_name=username,
            is_system_admin=False,
            source=UserSource.DEV,
        )
    )
    return Actor(user.id)


async def insert_many(database: MongoDatabase, collection: str, documents: list[Any]) -> float:
    started = time.perf_counter()
    for start in range(0, len(documents), INSERT_BATCH):
        batch = documents[start : start + INSERT_BATCH]
        await database.collection(collection).insert_many(batch, ordered=False)
    return time.perf_counter() - started


def message_documents(chat_id: str, author_id: str, count: int) -> list[Any]:
    return [
        state_to_document(
            Message(
                id=str(uuid.uuid4()),
                chat_id=chat_id,
                author_id=author_id,
                type=MessageType.USER,
                content=f"message number {index}",
                created_at=T0 + timedelta(seconds=index),
                version=1,
            )
        )
        for index in range(count)
    ]


def task_documents(
    workspace_id: str, owner_id: str, count: int
) -> tuple[list[Any], list[ChatRecord]]:
    """The stored documents, and the tasks as the chat store returns them."""
    documents = []
    records = []
    for index in range(count):
        created = T0 + timedelta(seconds=index)
        chat = Chat(
            id=str(uuid.uuid4()),
            workspace_id=workspace_id,
            created_by=owner_id,
            created_at=created,
            updated_at=created,
            type=ChatType.TASK,
            is_public=True,
            title=f"Task {index}",
            participants=(
                Participant(user_id=owner_id, role=ParticipantRole.ADMIN, joined_at=created),
            ),
            status=STATUSES[index % len(STATUSES)],
            priority=PRIORITIES[index % len(PRIORITIES)],
            version=1,
        )
        documents.append(state_to_document(chat) | chat_sort_fields(chat, created))
        records.append(ChatRecord(chat, None))
    return documents, records


async def bench_messages(client: Any, size: int) -> str:
    database, core = await fresh_core(client, f"flowra_bench_{uuid.uuid4().hex[:10]}")
    try:
        olga = await actor(core, "olga")
        workspace = await core.workspaces.create(olga, name="Bench", description=None)
        chat = await core.chats.create(olga, workspace.workspace.id, NewChat(title="Busy"))
        chat_id = chat.chat.id
        documents = message_documents(chat_id, olga.user_id, size)
        seconds = await insert_many(database, MESSAGES, documents)
        messages = core.ports.messages
        deep = documents[size // 10]
        cursor = (deep["created_at"], deep["_id"])
        first = await p50_ms(lambda: messages.top_level(chat_id, before=None, limit=PAGE + 1))
        deep_page = await p50_ms(lambda: messages.top_level(chat_id, before=cursor, limit=PAGE + 1))
        return (
            f"messages {size:>7,}: first page p50 {first:8.1f} ms | deep page p50 "
            f"{deep_page:8.1f} ms   (bulk insert {size / seconds:,.0f} docs/s)"
        )
    finally:
        await client.drop_database(database.name)


async def bench_board(client: Any, size: int) -> str:
    database, core = await fresh_core(client, f"flowra_bench_{uuid.uuid4().hex[:10]}")
    try:
        olga = await actor(core, "olga")
        workspace_id = (
            await core.workspaces.create(olga, name="Bench", description=None)
        ).workspace.id
        documents, records = task_documents(workspace_id, olga.user_id, size)
        seconds = await insert_many(database, CHATS, documents)
        chats = core.ports.chats
        query = TaskQuery(
            workspace_id=workspace_id, reader_id=olga.user_id, sort=TaskSort.BOARD, now=T0
        )
        order = task_order(TaskSort.BOARD)
        after = sorted(order.key(record) for record in records)[size * 9 // 10]
        first = await p50_ms(lambda: chats.list_tasks(query, after=None, limit=PAGE + 1))
        deep = await p50_ms(lambda: chats.list_tasks(query, after=after, limit=PAGE + 1))
        board = await p50_ms(
            lambda: core.tasks.board(
                olga, workspace_id, types=None, assignee=None, priority=None, q=None, per_column=20
            )
        )
        return (
            f"tasks    {size:>7,}: first page p50 {first:8.1f} ms | deep page p50 "
            f"{deep:8.1f} ms | board p50 {board:8.1f} ms   "
            f"(bulk insert {size / seconds:,.0f} docs/s)"
        )
    finally:
        await client.drop_database(database.name)


async def bench_sends(client: Any) -> str:
    database, core = await fresh_core(client, f"flowra_bench_{uuid.uuid4().hex[:10]}")
    try:
        olga = await actor(core, "olga")
        workspace_id = (
            await core.workspaces.create(olga, name="Bench", description=None)
        ).workspace.id
        chat_id = (await core.chats.create(olga, workspace_id, NewChat(title="Chat"))).chat.id
        task_id = (
            await core.chats.create(olga, workspace_id, NewChat(type="task", title="Task"))
        ).chat.id
        rates = []
        for target, content in ((chat_id, "plain {}"), (task_id, "#priority {}")):
            started = time.perf_counter()
            for index in range(SENDS):
                text = (
                    content.format(index)
                    if target == chat_id
                    else content.format(("High", "Low")[index % 2])
                )
                await core.messages.send(olga, workspace_id, target, content=text)
            rates.append(SENDS / (time.perf_counter() - started))
        return (
            f"send-message on mongo: plain {rates[0]:,.0f} msg/s | with a tag applied "
            f"{rates[1]:,.0f} msg/s ({SENDS} sends each, sequential)"
        )
    finally:
        await client.drop_database(database.name)


async def main(uri: str, sizes: Sequence[int], parts: Sequence[str]) -> None:
    client = create_mongo_client(uri, timeout=60.0, max_pool_size=4)
    try:
        build = (await client.admin.command("buildInfo")).get("ferretdbVersion")
        print(f"server: {'FerretDB ' + str(build) if build else 'MongoDB'} at {uri}")
        for size in sizes if "messages" in parts else ():
            print(await bench_messages(client, size), flush=True)
        for size in sizes if "tasks" in parts else ():
            print(await bench_board(client, size), flush=True)
        if "sends" in parts:
            print(await bench_sends(client), flush=True)
        if build:
            print(
                "note: FerretDB's SQLite backend plans every query as a SCAN (no index, filter "
                "or sort push-down), so its page times grow with the rows; on MongoDB the "
                "0003 indexes serve each page from an index range."
            )
    finally:
        await client.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--uri", default="mongodb://127.0.0.1:27017")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--parts", default="messages,tasks,sends")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    asyncio.run(main(args.uri, sizes, args.parts.split(",")))
